/*
 * The shared warm-request secret, read the way vmod_stoke reads it, so
 * that one secret file serves both sides.
 */

#ifndef STOKE_SECRET_H
#define STOKE_SECRET_H

#include <stddef.h>

int secret_check(const char *key, size_t len, char *err, size_t errlen);
/* Reads and trims the file into key (NUL-terminated); 0 or -1 with err. */
int secret_read_file(const char *path, char *key, size_t keysize,
    size_t *keylen, char *err, size_t errlen);

#endif
