/* capz/common.h — macros shared by every public SDK header. */
#ifndef CAPZ_COMMON_H
#define CAPZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define CAPZ_BEGIN_DECLS extern "C" {
#define CAPZ_END_DECLS }
#else
#define CAPZ_BEGIN_DECLS
#define CAPZ_END_DECLS
#endif

/* Marks a symbol exported from libcapz-sdk (the library builds with hidden visibility). */
#define CAPZ_API __attribute__((visibility("default")))

/* printf-style format checking. */
#define CAPZ_PRINTF(fmt_idx, first_arg) __attribute__((format(printf, fmt_idx, first_arg)))

#endif
