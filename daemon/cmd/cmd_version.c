/*
 * stoked version
 */

#include "config.h"

#include <stdio.h>

#include "cmd.h"

int
cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("stoked %s\n", PACKAGE_VERSION);
	return (0);
}
