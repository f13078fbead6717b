package dev.polardbbackup.emulator;

/**
 * Which service and API version a request is for: its action and version, read from the V3 {@code
 * x-acs-*} headers or else from the V1 query parameters, and the host id its errors name.
 */
final class Routing {
  static final String STS_ACTION = "AssumeRoleWithOIDC";
  static final String STS_VERSION = "2015-04-01";

  private Routing() {}

  /** Alibaba routes by action and version before it looks at the signature. */
  static void route(String action, String version) {
    if (action == null || action.isEmpty()) {
      throw ApiError.missing("Action");
    }
    String expected;
    if (STS_ACTION.equals(action)) {
      expected = STS_VERSION;
    } else if (PolarDbActions.ACTIONS.contains(action)
        || PolicyActions.ACTIONS.contains(action)
        || ClusterActions.ACTIONS.contains(action)
        || RestoreActions.ACTIONS.contains(action)) {
      expected = PolarDbActions.VERSION;
    } else {
      throw new ApiError(
          404,
          "InvalidAction.NotFound",
          "Specified api is not found, please check your url and method.");
    }
    if (version == null || version.isEmpty()) {
      throw ApiError.missing("Version");
    }
    if (!expected.equals(version)) {
      throw new ApiError(400, "InvalidVersion", "Specified parameter Version is not valid.");
    }
  }

  static String actionOf(ApiRequest request) {
    String header = request.header("x-acs-action");
    return header != null ? header : request.param("Action");
  }

  static String versionOf(ApiRequest request) {
    String header = request.header("x-acs-version");
    return header != null ? header : request.param("Version");
  }

  static String hostId(String action) {
    return STS_ACTION.equals(action) ? "sts.aliyuncs.com" : "polardb.aliyuncs.com";
  }
}
