# The operator image. Build the jar first (mvn -B package), then:
#   docker build -t <registry>/polardb-backup-operator:0.1.0 .
# Not built in this project's CI: its machines have no container engine.
FROM eclipse-temurin:17-jre
RUN useradd --uid 65532 --no-create-home --shell /usr/sbin/nologin operator
COPY target/polardb-backup-operator.jar /opt/polardb-backup-operator/operator.jar
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["java", "-jar", "/opt/polardb-backup-operator/operator.jar"]
CMD ["run"]
