/*
 * stoked version
 */

#include "config.h"

#include <stdio.h>

#include "cmd.h"
#include "cmd_opts.h"

int
cmd_version(int argc, char **argv)
{
	const struct cmd_opt opts[] = {
		CMD_OPT_END,
	};
	int arg0;

	switch (cmd_opts_parse("version", "", "Prints the version.\n", opts,
	    argc, argv, &arg0)) {
	case 0:
		break;
	case 1:
		return (0);
	default:
		return (2);
	}
	printf("stoked %s\n", PACKAGE_VERSION);
	return (0);
}
