# Vigil container image.
#
#   docker build -t vigil .
#   docker run -p 8080:8080 -v vigil-data:/app/data vigil
#
# Without VIGIL_DB_URL Vigil starts its embedded PostgreSQL in /app/data. The jar only ships
# the linux-amd64 PostgreSQL binaries, so the embedded database needs an amd64 image; on other
# architectures set VIGIL_DB_URL=postgresql://user:pass@host:port/db (see docker-compose.yml).

# --- Stage 1: build the shaded jar -----------------------------------------------------------
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /build
COPY pom.xml ./
COPY src ./src
RUN mvn -B package -DskipTests

# --- Stage 2: runtime ------------------------------------------------------------------------
FROM eclipse-temurin:17-jre

# A fixed, non-root system user (uid 1000 is taken by "ubuntu" in the base image).
RUN groupadd --system --gid 10001 vigil \
 && useradd --system --uid 10001 --gid vigil --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin vigil

WORKDIR /app
COPY --from=build /build/target/vigil.jar /app/vigil.jar
COPY rules/ /app/rules/
COPY templates/ /app/templates/
COPY vigil.yaml /app/vigil.yaml

# Data directory: embedded PostgreSQL, the generated admin token and other generated secrets.
# It must be owned by the runtime user before VOLUME, so a new named volume inherits that.
RUN mkdir -p /app/data && chown vigil:vigil /app/data && chmod 0700 /app/data
ENV VIGIL_DATA_DIR=/app/data
VOLUME ["/app/data"]

USER vigil
EXPOSE 8080

# curl is part of the eclipse-temurin Ubuntu images. /health needs no token. Shell form so a
# changed VIGIL_HTTP_PORT is honoured; the start period covers embedded PostgreSQL + rule compile.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD curl -fsS "http://localhost:${VIGIL_HTTP_PORT:-8080}/health" > /dev/null || exit 1

ENTRYPOINT ["java", "-jar", "/app/vigil.jar"]
