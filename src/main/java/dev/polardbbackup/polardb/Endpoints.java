package dev.polardbbackup.polardb;

import java.net.URI;
import java.util.Set;
import java.util.regex.Pattern;

/** PolarDB's regional endpoints, as Alibaba lists them. */
public final class Endpoints {

  /** Regions served by the central endpoint; every other region has its own host. */
  private static final Set<String> CENTRAL =
      Set.of(
          "cn-hangzhou",
          "cn-shanghai",
          "cn-beijing",
          "cn-qingdao",
          "cn-wulanchabu",
          "cn-heyuan",
          "cn-hangzhou-finance",
          "cn-beijing-finance-1");

  private static final Pattern REGION = Pattern.compile("[a-z]{2}(-[a-z0-9]+)+");

  private Endpoints() {}

  public static URI polarDb(String regionId) {
    if (regionId == null || !REGION.matcher(regionId).matches()) {
      throw new IllegalArgumentException("not a region id: " + regionId);
    }
    return CENTRAL.contains(regionId)
        ? URI.create("https://polardb.aliyuncs.com")
        : URI.create("https://polardb." + regionId + ".aliyuncs.com");
  }
}
