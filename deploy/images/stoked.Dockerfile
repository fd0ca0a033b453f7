# stoked: one image for every command (serve, worker, agent, migrate;
# the arguments choose).  Built from Stoke's own Debian package, made
# from this source tree in the first stage, on Debian 12 and nothing
# but Debian's packages.
#
#	docker build -f deploy/images/stoked.Dockerfile -t stoked .
#	docker run stoked serve --listen 0.0.0.0:6087 --database-url ...

FROM debian:bookworm-slim AS build
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        build-essential ca-certificates devscripts equivs \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src/stoke
COPY . /src/stoke
# What debian/control says the build needs, then the packages; they
# land in /src, the parent of the tree.
RUN apt-get update \
    && mk-build-deps --install --remove \
        --tool 'apt-get -y --no-install-recommends' debian/control \
    && rm -rf /var/lib/apt/lists/* \
    && dpkg-buildpackage -us -uc -b \
    && mkdir /debs \
    && mv ../stoke_*.deb ../varnish-stoke_*.deb /debs/

FROM debian:bookworm-slim
ENV DEBIAN_FRONTEND=noninteractive
COPY --from=build /debs/ /tmp/debs/
# The user first, with a fixed id (the chart's runAsUser), so that the
# package's own finds it there.
RUN groupadd --system --gid 10001 stoke \
    && useradd --system --uid 10001 --gid stoke \
        --home-dir /var/lib/stoke --shell /usr/sbin/nologin stoke \
    && apt-get update \
    && apt-get install -y --no-install-recommends /tmp/debs/stoke_*.deb \
    && rm -rf /var/lib/apt/lists/* /tmp/debs \
    && install -d -o stoke -g stoke /var/lib/stoke
USER 10001:10001
WORKDIR /var/lib/stoke
# serve's API and dashboard, serve's /metrics apart, the agent's
# /metrics and /healthz.
EXPOSE 6087 9187 6089
# No HEALTHCHECK: which port answers (and whether any does: a worker
# serves nothing) depends on the command; Kubernetes probes each.
ENTRYPOINT ["stoked"]
CMD ["--help"]
