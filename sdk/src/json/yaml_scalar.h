/* yaml_scalar.h — typing of YAML scalars for yaml_to_json.c (internal). */
#ifndef CAPZ_SDK_YAML_SCALAR_H
#define CAPZ_SDK_YAML_SCALAR_H

#include <stdbool.h>
#include <stddef.h>
#include <cJSON.h>

typedef enum yj_kind { YJ_NULL, YJ_BOOL, YJ_INT, YJ_FLOAT, YJ_STR } yj_kind;

/* Classify a plain (unquoted, untagged) scalar the way YAML 1.2's core schema does, with the
 * Kubernetes (go-yaml) reading of a leading-zero literal such as 0644 as octal. For numbers,
 * *num receives the value. */
yj_kind yj_classify(const char *s, size_t len, double *num);

/* Build the JSON value for a scalar. tag may be NULL (untagged); plain is true for the plain
 * style without an explicit tag. Returns NULL on a value that does not fit its explicit tag
 * (with *why set) or on OOM (*why = NULL). */
cJSON *yj_scalar(const char *s, size_t len, const char *tag, bool plain, const char **why);

#endif
