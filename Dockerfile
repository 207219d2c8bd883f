# mockloop in a container. The entrypoint is the mockloop command itself; the default command is
# `serve`, configured from the environment:
#
#   docker build -t mockloop .
#   docker run --rm -p 8000:8000 mockloop                          # mock the embedded example API
#   docker run --rm -p 8000:8000 -v "$PWD/openapi.yaml:/spec.yaml:ro" \
#     -e MOCKLOOP_SPEC=/spec.yaml -e PROXY_MODE=proxy -e API_BASE_URL=https://api.example.com \
#     -e AUTH_TYPE=bearer_token -e API_TOKEN=... mockloop
#   docker run --rm mockloop test run --spec https://api.example.com/openapi.json --live https://api.example.com
#
# PROXY_MODE (mock|proxy|hybrid), API_BASE_URL and AUTH_TYPE are the original guide's names;
# MOCKLOOP_* variables set the rest, and configure `test run` too. Plugins mounted under
# $MOCKLOOP_HOME/plugins are found by name: `docker run mockloop serve myplugin`.
#
# GoReleaser builds the release image from this same file with --build-arg BINARY=context: the
# binary it built is copied in instead of compiled again.

ARG BINARY=build

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/mockloop ./cmd/mockloop

FROM scratch AS binary-build
COPY --from=build /out/mockloop /mockloop

FROM scratch AS binary-context
COPY mockloop /mockloop

FROM binary-${BINARY} AS binary

# Static binary on a minimal base: no shell, no package manager, runs as an unprivileged user.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=binary /mockloop /usr/local/bin/mockloop
# Inside a container, listen on every interface (the default is loopback only).
# PROXY_MODE is deliberately unset here: the environment outranks a plugin's own mode.
ENV MOCKLOOP_ADDR=0.0.0.0:8000 \
    MOCKLOOP_HOME=/home/nonroot/.mockloop
EXPOSE 8000
USER nonroot:nonroot
# Liveness without a shell or curl: mockloop waits for its own health endpoint.
HEALTHCHECK --interval=10s --timeout=5s --start-period=5s --retries=3 \
  CMD ["mockloop", "wait", "--timeout", "4s", "http://127.0.0.1:8000/__mockloop/health"]
ENTRYPOINT ["mockloop"]
CMD ["serve"]
