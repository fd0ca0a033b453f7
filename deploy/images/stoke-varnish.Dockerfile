# stoke-varnish: varnishd with vmod_stoke and Stoke's VCL library
# (stoke.vcl, default.vcl, shopware6.vcl), from Stoke's own Debian
# package, made from this source tree in the first stage, on Debian 12
# and nothing but Debian's packages (varnish, varnish-modules for xkey,
# and the C compiler varnishd builds VCL with).
#
#	docker build -f deploy/images/stoke-varnish.Dockerfile -t stoke-varnish .
#	docker run -v ./site.vcl:/etc/varnish/site.vcl \
#	    -v ./stoke.secret:/etc/varnish/stoke.secret stoke-varnish

FROM debian:bookworm-slim AS build
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        build-essential ca-certificates devscripts equivs \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src/stoke
COPY . /src/stoke
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
# varnishd runs as this user, not root (-j none): the chart's runAsUser,
# which stoked agent beside it shares to read its log.
RUN groupadd --system --gid 10001 stoke \
    && useradd --system --uid 10001 --gid stoke \
        --home-dir /var/lib/varnish --shell /usr/sbin/nologin stoke \
    && apt-get update \
    && apt-get install -y --no-install-recommends \
        /tmp/debs/varnish-stoke_*.deb \
    && rm -rf /var/lib/apt/lists/* /tmp/debs \
    && install -d -o stoke -g stoke /var/lib/varnish/stoke
USER 10001:10001
EXPOSE 6081
HEALTHCHECK --interval=10s --timeout=3s \
    CMD ["varnishadm", "-n", "/var/lib/varnish/stoke", "ping"]
ENTRYPOINT ["varnishd", "-F", "-j", "none", "-n", "/var/lib/varnish/stoke", \
    "-p", "vcl_path=/etc/varnish:/usr/share/varnish/vcl/stoke:/usr/share/varnish/vcl"]
CMD ["-a", ":6081", "-f", "/etc/varnish/site.vcl", "-s", "malloc,256m"]
