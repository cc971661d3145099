/* arm_types.c — the registry of resource-type descriptors contributed by the rt_*.c files (rt_list.h). */
#include "arm_sim.h"

#include <string.h>
#include <strings.h>

#define RT(x) extern const arm_rtype x;
#include "rt_list.h"
#undef RT

static const arm_rtype *const all_types[] = {
#define RT(x) &x,
#include "rt_list.h"
#undef RT
    NULL};

int arm_rtype_count(void) { return (int)(sizeof all_types / sizeof all_types[0]) - 1; }

const arm_rtype *arm_rtype_at(int i) { return i >= 0 && i < arm_rtype_count() ? all_types[i] : NULL; }

int arm_rtype_index(const arm_rtype *rt) {
  for (int i = 0; all_types[i]; i++)
    if (all_types[i] == rt) return i;
  return -1;
}

const arm_rtype *arm_rtype_find(const char *type) {
  for (int i = 0; all_types[i]; i++)
    if (strcasecmp(all_types[i]->type, type) == 0) return all_types[i];
  return NULL;
}

bool arm_namespace_known(const char *ns) {
  size_t L = strlen(ns);
  for (int i = 0; all_types[i]; i++)
    if (strncasecmp(all_types[i]->type, ns, L) == 0 && all_types[i]->type[L] == '/') return true;
  return false;
}

/* k-th type embedded in parent's body (a direct child type with embed_member set). */
const arm_rtype *arm_rtype_child_embedded(const arm_rtype *parent, int k) {
  size_t L = strlen(parent->type);
  for (int i = 0; all_types[i]; i++) {
    const arm_rtype *t = all_types[i];
    if (!t->embed_member || strncasecmp(t->type, parent->type, L) != 0 || t->type[L] != '/' ||
        strchr(t->type + L + 1, '/'))
      continue;
    if (k-- == 0) return t;
  }
  return NULL;
}
