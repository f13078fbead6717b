# The operator image, for machines with docker or podman. Build the jar first (mvn -B package), then:
#   docker build -t <registry>/polardb-backup-operator:0.1.0 .
# The same image as scripts/image.sh builds without a container engine (and this project's CI
# checks): Debian bookworm's openjdk-17-jre-headless, user 65532 (as deploy/base's Deployment),
# the jar at /app/polardb-backup-operator.jar, `java -jar` on it with `run` as the default argument.
# JVM flags come from JAVA_TOOL_OPTIONS in the Deployment.
#
# Pin the base by digest for a release (README, "Container image"):
#   docker buildx imagetools inspect debian:bookworm-slim   # prints the index digest
#   FROM debian:bookworm-slim@sha256:<that digest>
FROM debian:bookworm-slim
# The JRE's postinst registers its man page, and bookworm-slim has no /usr/share/man/man1.
RUN mkdir -p /usr/share/man/man1 \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      openjdk-17-jre-headless ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 65532 operator \
 && useradd --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin operator
COPY target/polardb-backup-operator.jar /app/polardb-backup-operator.jar
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["java", "-jar", "/app/polardb-backup-operator.jar"]
CMD ["run"]
