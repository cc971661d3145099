/* kube_reviews.c — TokenReview and (Self)SubjectAccessReview for controllers that delegate
 * authentication/authorization of their metrics or webhook endpoints. The emulator has no
 * identities: every non-empty token authenticates as a cluster admin and every access is
 * allowed, except the token "invalid" (unauthenticated) so callers can test their deny path.
 * Reviews are answered (201) and never stored. */
#include <stdio.h>
#include <string.h>

#include "kube_sim.h"

bool is_review_type(const ktype *t) {
  return t->builtin == KB_TOKENREVIEW || t->builtin == KB_SUBJECTACCESSREVIEW ||
         t->builtin == KB_SELFSUBJECTACCESSREVIEW;
}

void verb_review(kreq *r, kroute *rt) {
  cJSON *obj = parse_body(r, true);
  if (!obj) return;
  if (!cJSON_IsObject(obj) || !cJSON_IsObject(jget(obj, "spec"))) {
    cJSON_Delete(obj);
    kerrs e = {0};
    kerrs_add(&e, "FieldValueRequired", "spec", "Required value");
    resp_invalid(r, rt->t, "", &e);
    return;
  }
  cJSON *st = cJSON_CreateObject();
  if (rt->t->builtin == KB_TOKENREVIEW) {
    const char *tok = jstr(jget(obj, "spec"), "token");
    bool ok = tok && *tok && strcmp(tok, "invalid") != 0;
    cJSON_AddBoolToObject(st, "authenticated", ok);
    if (ok) {
      cJSON *u = cJSON_AddObjectToObject(st, "user");
      cJSON_AddStringToObject(u, "username", "kube-sim:admin");
      cJSON_AddStringToObject(u, "uid", "kube-sim-admin");
      cJSON *g = cJSON_AddArrayToObject(u, "groups");
      cJSON_AddItemToArray(g, cJSON_CreateString("system:masters"));
      cJSON_AddItemToArray(g, cJSON_CreateString("system:authenticated"));
    } else {
      cJSON_AddStringToObject(st, "error", "invalid bearer token");
    }
    cJSON_AddItemToObject(st, "audiences", cJSON_Duplicate(jget(jget(obj, "spec"), "audiences"), 1));
    if (!cJSON_IsArray(jget(st, "audiences"))) jdel(st, "audiences");
  } else {
    cJSON_AddBoolToObject(st, "allowed", true);
    cJSON_AddStringToObject(st, "reason", "capz-kube-sim allows every request");
  }
  jset(obj, "status", st);
  jobj(obj, "metadata");
  char gv[300];
  snprintf(gv, sizeof gv, "%s/%s", rt->t->group, rt->v->name);
  json_front(obj, gv, rt->t->kind);
  resp_json(r, 201, obj);
  cJSON_Delete(obj);
}
