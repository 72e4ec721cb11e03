# Multi-stage build: a static, cgo-free binary on a distroless base, run as a non-root user.
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
ENV LRS_DATA=/data LRS_ADDR=:8080
VOLUME /data
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/lrs"]
CMD ["serve"]
