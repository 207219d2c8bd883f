# mockloop in a container: `mockloop serve` configured from the environment.
#
#   docker build -t mockloop .
#   docker run --rm -p 8000:8000 mockloop                          # mock the embedded example API
#   docker run --rm -p 8000:8000 -v "$PWD/openapi.yaml:/spec.yaml:ro" \
#     -e MOCKLOOP_SPEC=/spec.yaml -e PROXY_MODE=proxy -e API_BASE_URL=https://api.example.com \
#     -e AUTH_TYPE=bearer_token -e API_TOKEN=... mockloop
#
# PROXY_MODE (mock|proxy|hybrid), API_BASE_URL and AUTH_TYPE are the original guide's names;
# MOCKLOOP_* variables set the rest. Flags after the image name override the environment, e.g.
# `docker run mockloop myplugin --mode hybrid` with plugins mounted under $MOCKLOOP_HOME/plugins.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/mockloop ./cmd/mockloop

# Static binary on a minimal base: no shell, no package manager, runs as an unprivileged user.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/mockloop /usr/local/bin/mockloop
# Inside a container, listen on every interface (the default is loopback only).
# PROXY_MODE is deliberately unset here: the environment outranks a plugin's own mode.
ENV MOCKLOOP_ADDR=0.0.0.0:8000 \
    MOCKLOOP_HOME=/home/nonroot/.mockloop
EXPOSE 8000
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/mockloop", "serve"]
