# Multi-stage build: a static, cgo-free binary on a distroless base, run as a non-root user.
# scorm-again (the SCORM player's runtime) comes from npm, pinned by web/package-lock.json.
FROM node:22-bookworm-slim AS web
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/lrs ./cmd/lrs
# The data volume must belong to the non-root user the server runs as.
RUN mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/lrs /usr/local/bin/lrs
COPY --from=build --chown=nonroot:nonroot /out/data /data
COPY --from=web /web/node_modules/scorm-again/dist /usr/share/lrs/scorm-again
ENV LRS_DATA=/data LRS_ADDR=:8080 LRS_SCORM_WEB_DIR=/usr/share/lrs/scorm-again
VOLUME /data
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/lrs"]
CMD ["serve"]
