#
# stoke.vcl: the Stoke cache warmer's part of a VCL.
#
# Include it right after "vcl 4.1;" and your imports, before your own
# subroutines:
#
#	vcl 4.1;
#	import stoke;
#	include "stoke.vcl";
#
#	sub vcl_init {
#		stoke.secret_file("/etc/varnish/stoke.secret");
#		stoke.variant("currency", cookie = "sw-currency");
#		stoke.doorbell("/run/stoked/doorbell");
#	}
#
# VCL runs the code of a subroutine defined several times in the order it
# was read, so what is here runs first, and none of it returns: your own
# vcl_recv, vcl_hash and the rest go on as before.  Declare your cache
# key's variant dimensions in vcl_init with stoke.variant() so that
# stoked re-warms every variant visitors use.
#
# stoke.doorbell() names the socket stoked listens on (--doorbell; the
# systemd units use /run/stoked/doorbell): a request that purged, banned
# or invalidated tags rings it as it ends, and stoked reads the log then
# instead of at its next poll.  Without it stoked still sees everything,
# up to a few milliseconds later.
#
# Varnish evicting objects for space when the cache is full (LRU nukes)
# shows in the log only with varnishd -p vsl_mask=+ExpKill; turn it on so
# that stoked's index forgets them too.
#

import stoke;

# A genuine warm request from stoked always refreshes the object, even
# when a fresh copy is cached: it was sent because the copy is stale or
# about to go.  The header is removed in every case, so the backend never
# sees it and nobody can replay it through us.
sub vcl_recv {
	if (stoke.is_warm()) {
		set req.hash_always_miss = true;
	}
	unset req.http.Stoke-Warm;
}

# Adds the declared variant inputs to the cache key and records them.
sub vcl_hash {
	stoke.hash();
}

sub vcl_miss {
	stoke.log_miss();
}

# "return (purge)" in vcl_recv ends up here.
sub vcl_purge {
	stoke.log_purge();
}

# Lets stoked confirm that the answer is for its own request.
sub vcl_deliver {
	if (stoke.warm_id() != "") {
		set resp.http.Stoke-Warm-Id = stoke.warm_id();
	}
}
