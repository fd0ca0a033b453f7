#
# default.vcl: a plain site behind Varnish, kept warm by Stoke.
#
#  - PURGE /path          removes one URL (every variant) and Stoke
#                         fetches it again at once;
#  - BAN with Ban-Url: <regex>
#                         bans URLs of this host matching the regex;
#  - BAN with Ban-Expression: <expression>
#                         adds a raw Varnish ban expression;
#  both only from the purgers ACL.  Warm requests signed by stoked refresh
#  the object they ask for.
#
# The secret is shared with stoked; make one with
#	head -c 32 /dev/urandom | base64 > /etc/varnish/stoke.secret
#
# When the cache is full, Varnish evicts objects for space (LRU nukes).
# For stoked's index to forget them too, start varnishd with the ExpKill
# records unmasked (they are off by default):
#
#	varnishd ... -p vsl_mask=+ExpKill
#
# or at run time: varnishadm param.set vsl_mask +ExpKill
#

vcl 4.1;

import std;
import stoke;

include "stoke.vcl";

backend default {
	.host = "127.0.0.1";
	.port = "8080";
}

acl purgers {
	"localhost";
	"127.0.0.1";
	"::1";
}

sub vcl_init {
	stoke.secret_file("/etc/varnish/stoke.secret");
	# stoked (run or agent, --doorbell) reads the log the moment an
	# invalidation is written, not at its next poll.
	stoke.doorbell("/run/stoked/doorbell");
	# Compressed and plain copies are distinct objects (through Vary);
	# stoked replays the encodings visitors used.
	stoke.variant("encoding", header = "Accept-Encoding", hash = false);
}

sub vcl_recv {
	if (req.method == "PURGE") {
		if (client.ip !~ purgers) {
			return (synth(405, "Not allowed"));
		}
		return (purge);
	}

	if (req.method == "BAN") {
		if (client.ip !~ purgers) {
			return (synth(405, "Not allowed"));
		}
		if (req.http.Ban-Expression) {
			if (stoke.ban(req.http.Ban-Expression)) {
				return (synth(200, "Ban added"));
			}
			return (synth(400, "Bad ban expression"));
		}
		if (req.http.Ban-Url) {
			# obj.http.* only, so the ban lurker can apply it in
			# the background.  Ban arguments cannot be quoted, so
			# a host that is not a plain name could extend the
			# expression: refuse it.
			if (req.http.host !~ "^[A-Za-z0-9.:\[\]-]+$") {
				return (synth(400, "Bad Host"));
			}
			if (stoke.ban("obj.http.x-host == " + req.http.host +
			    " && obj.http.x-url ~ " + req.http.Ban-Url)) {
				return (synth(200, "Ban added"));
			}
			return (synth(400, "Bad Ban-Url"));
		}
		return (synth(400, "BAN needs Ban-Url or Ban-Expression"));
	}
}

sub vcl_purge {
	return (synth(200, "Purged"));
}

sub vcl_backend_response {
	if (beresp.http.Surrogate-Control ~ "ESI/1.0") {
		unset beresp.http.Surrogate-Control;
		set beresp.do_esi = true;
	}
	# Kept on the object for lurker-friendly bans, removed on delivery.
	set beresp.http.x-url = bereq.url;
	set beresp.http.x-host = bereq.http.host;
}

sub vcl_deliver {
	unset resp.http.x-url;
	unset resp.http.x-host;
}
