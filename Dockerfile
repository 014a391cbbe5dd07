# Herald's four executables in one image (Debian bookworm, like the development machines).
FROM swift:6.1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends librabbitmq-dev libpq-dev libcurl4-openssl-dev libssl-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
COPY schemas ./schemas
RUN swift build -c release --static-swift-stdlib \
    && mkdir -p /out && cp "$(swift build -c release --show-bin-path)"/herald-* "$(swift build -c release --show-bin-path)"/heraldctl /out/

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends librabbitmq4 libpq5 libcurl4 libssl3 ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* && useradd --system --uid 10001 herald
COPY --from=build /out/ /usr/local/bin/
COPY schemas/migrations /usr/local/share/herald/migrations
USER herald
ENTRYPOINT []
CMD ["herald-worker"]
