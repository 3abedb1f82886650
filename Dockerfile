# syntax=docker/dockerfile:1
# Build:  docker build -t fanwatch .
# Run:    docker run -v $PWD/config:/config -v fanwatch-data:/data -p 9187:9187 fanwatch

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# Dependencies first, in their own layer: it is rebuilt only when Cargo.toml/Cargo.lock change.
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src demo/feeds \
    && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && cargo build --release --locked \
    && rm -rf src
COPY . .
# Make sure the real sources are newer than the placeholder build.
RUN touch src/main.rs src/lib.rs && cargo build --release --locked \
    && cp target/release/fanwatch /usr/local/bin/fanwatch

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin fanwatch \
    && mkdir -p /config /data && chown fanwatch /data
COPY --from=build /usr/local/bin/fanwatch /usr/local/bin/fanwatch
COPY config/fanwatch.toml /config/fanwatch.toml
ENV FANWATCH_CONFIG=/config/fanwatch.toml \
    FANWATCH_DATABASE__URL=sqlite:///data/fanwatch.db \
    FANWATCH_HTTP__LISTEN=0.0.0.0:9187 \
    FANWATCH_LOG_FORMAT=json
VOLUME ["/config", "/data"]
USER fanwatch
WORKDIR /data
EXPOSE 9187
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["fanwatch", "healthcheck", "--url", "http://127.0.0.1:9187/healthz"]
ENTRYPOINT ["fanwatch"]
CMD ["run"]
