# syntax=docker/dockerfile:1
#
# smsbridge container image: a static binary on distroless, running as a
# non-root user. The same image runs the gateway (default) and the ISMG
# simulator (`simulator -config …`). See deploy/README.md.
#
#   docker build --build-arg VERSION=$(git describe --tags --always) -t smsbridge .

# ---- build -------------------------------------------------------------
FROM golang:1.26-bookworm AS build
WORKDIR /src

# Modules first: this layer is reused until go.mod/go.sum change.
COPY go.mod go.sum ./
RUN go mod download

COPY . .
ARG VERSION=dev
# CGO off: a fully static binary that needs no libc in the runtime image.
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" \
        -o /out/smsbridge . \
 && /out/smsbridge version

# ---- runtime -----------------------------------------------------------
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/smsbridge /usr/local/bin/smsbridge

# Containers are reached from outside their own loopback. Without
# -config (and with no ./config.yaml) `serve` runs demo mode: the defaults
# with the embedded demo.yaml. A real deployment sets at least
# SMSBRIDGE_REDIS_ADDR, SMSBRIDGE_SIMULATOR_EMBEDDED=false,
# SMSBRIDGE_CHANNELS_0_ADDR and SMSBRIDGE_TENANTS_0_KEY_SHA256 (the demo
# key is refused on a non-loopback address), or mounts a file and runs
# `serve -config /etc/smsbridge/config.yaml`.
ENV SMSBRIDGE_HTTP_ADDR=0.0.0.0:8080
# The embedded demo.yaml allows webhooks to private networks for its
# loopback demo receiver; a container refuses them unless told otherwise.
ENV SMSBRIDGE_WEBHOOK_ALLOW_PRIVATE_NETWORKS=false

USER nonroot:nonroot
WORKDIR /home/nonroot

# 8080 HTTP API; 7890 CMPP and 7891 admin API when running `simulator`.
EXPOSE 8080 7890 7891

# No shell or curl here: the binary probes GET /healthz itself (on the
# port of SMSBRIDGE_HTTP_ADDR), 3 s timeout.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["/usr/local/bin/smsbridge", "healthcheck"]

# SIGTERM drains for up to shutdown_timeout (30 s): give the container at
# least that long to stop (docker stop -t 35, compose stop_grace_period).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/smsbridge"]
CMD ["serve"]
