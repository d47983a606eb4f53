# syntax=docker/dockerfile:1
#
# empowerbot container image.
#
#   docker build --build-arg VERSION=$(git describe --tags --always --dirty) --build-arg COMMIT=$(git rev-parse HEAD) -t empowerbot .
#   docker run --env-file .env -v "$PWD/policy.yaml:/etc/empowerbot/policy.yaml:ro" empowerbot
#
# Stage 1 builds a static binary; stage 2 is distroless "static" (CA certificates, tzdata,
# /etc/passwd with the nonroot user, no shell, no package manager). The binary also embeds
# time/tzdata, so policy time zones work even without the image's zoneinfo.

# The official golang images set GOTOOLCHAIN=local, so this must be at least go.mod's go line
# (1.26.8); the floating 1.26 tag is the newest 1.26.x.
ARG GO_VERSION=1.26

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
# Set by BuildKit for the platform being built (docker buildx build --platform ...).
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
# The commit, as .git is not in the build context: --build-arg COMMIT=$(git rev-parse HEAD)
ARG COMMIT=
WORKDIR /src

# Dependencies first, so a source change does not download modules again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download

COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -buildvcs=false \
        -ldflags "-s -w -X github.com/empowerbot/empowerbot/buildinfo.version=${VERSION} -X github.com/empowerbot/empowerbot/buildinfo.commit=${COMMIT}" \
        -o /out/empowerbot ./cmd/empowerbot

FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
LABEL org.opencontainers.image.title="empowerbot" \
      org.opencontainers.image.description="Slack bot: act inside your box, leaders step in only above it" \
      org.opencontainers.image.source="https://github.com/empowerbot/empowerbot" \
      org.opencontainers.image.version="${VERSION}"

COPY --from=build /out/empowerbot /empowerbot

# The policy file is mounted here read-only (see deploy/docker-compose.yml).
ENV POLICY_FILE=/etc/empowerbot/policy.yaml \
    HTTP_ADDR=:8080 \
    LOG_FORMAT=json

# 65532:65532 is distroless's "nonroot" user.
USER nonroot:nonroot
EXPOSE 8080

# No shell or curl in the image: the binary itself GETs http://127.0.0.1:8080/readyz
# (the port of HTTP_ADDR) and exits 0 or 1: healthy means Redis answers and the Socket Mode
# connection is up, not merely that the process is alive.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["/empowerbot", "healthcheck"]

# SIGTERM (docker stop) makes the bot stop taking envelopes and finish in-flight ones
# within 10 s; give it a stop timeout above that (compose: stop_grace_period).
ENTRYPOINT ["/empowerbot"]
CMD ["run"]
