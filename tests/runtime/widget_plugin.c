/* widget_plugin.c — see widget_plugin.h. Uses only the public SDK headers. */
#include "widget_plugin.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "capz/conditions.h"
#include "capz/controller.h"
#include "capz/json.h"

const capz_gvk WIDGET_GVK = {"test.capz.io", "v1", "Widget", "widgets", true};

static const capz_watch owned_cms = {
    .struct_size = sizeof(capz_watch),
    .gvk = {"", "v1", "ConfigMap", "configmaps", true},
    .map_kind = CAPZ_MAP_OWNER,
};
static const capz_watch *const secondaries[] = {&owned_cms, NULL};

void wp_state_init(wp_state *s, const char *identity) {
  memset(s, 0, sizeof *s);
  pthread_mutex_init(&s->mu, NULL);
  snprintf(s->identity, sizeof s->identity, "%s", identity ? identity : "");
}

static wp_key_stats *key_stats(wp_state *s, const char *name) {
  for (int i = 0; i < s->n_keys; i++)
    if (strcmp(s->keys[i].name, name) == 0) return &s->keys[i];
  if (s->n_keys == WP_MAX_KEYS) return NULL;
  wp_key_stats *k = &s->keys[s->n_keys++];
  snprintf(k->name, sizeof k->name, "%.63s", name);
  return k;
}

wp_key_stats wp_stats(wp_state *s, const char *name) {
  wp_key_stats out;
  memset(&out, 0, sizeof out);
  pthread_mutex_lock(&s->mu);
  for (int i = 0; i < s->n_keys; i++)
    if (strcmp(s->keys[i].name, name) == 0) out = s->keys[i];
  pthread_mutex_unlock(&s->mu);
  return out;
}

typedef struct mut {
  wp_state *s;
  const cJSON *spec;
  bool stamp;
} mut;

static int set_status(void *ud, cJSON *obj) {
  mut *m = ud;
  cJSON *st = cJSON_GetObjectItem(obj, "status");
  if (!cJSON_IsObject(st)) {
    cJSON_DeleteItemFromObject(obj, "status");
    st = cJSON_AddObjectToObject(obj, "status");
  }
  cJSON_DeleteItemFromObject(st, "writer");
  cJSON_AddStringToObject(st, "writer", m->s->identity);
  if (m->stamp) {
    cJSON_DeleteItemFromObject(st, "seq");
    cJSON_AddNumberToObject(st, "seq", atomic_fetch_add(&m->s->seq, 1) + 1);
  } else {
    cJSON_DeleteItemFromObject(st, "observed");
    cJSON_AddNumberToObject(st, "observed", capz_json_ptr_int(m->spec, "/value", 0));
    capz_cond_mark_true(obj, "WidgetReady");
    capz_cond_set_summary(obj, NULL);
  }
  return 0;
}

static capz_outcome reconcile(void *state, capz_ctx *ctx, const capz_key *key, capz_result *res) {
  wp_state *s = state;
  pthread_mutex_lock(&s->mu);
  wp_key_stats *k = key_stats(s, key->name);
  if (k) {
    if (k->in_flight++) atomic_fetch_add(&s->concurrent_violations, 1);
    if (k->count < WP_MAX_TIMES) k->times[k->count] = capz_monotonic_ms();
    k->count++;
  }
  pthread_mutex_unlock(&s->mu);
  atomic_fetch_add(&s->total, 1);

  capz_outcome out = CAPZ_DONE;
  const capz_obj *o = NULL;
  capz_err e;
  if (capz_ctx_get(ctx, &o, &e) == CAPZ_ENOTFOUND) {
    pthread_mutex_lock(&s->mu);
    if (k) k->deleted_seen++;
    pthread_mutex_unlock(&s->mu);
    goto done;
  }
  const cJSON *spec = cJSON_GetObjectItem(capz_obj_json(o), "spec");
  const char *mode = capz_json_ptr_str(spec, "/mode", "status");
  if (strcmp(mode, "retry") == 0) {
    out = CAPZ_RETRY;
    snprintf(res->reason, sizeof res->reason, "Transient");
  } else if (strcmp(mode, "requeue") == 0) {
    out = CAPZ_REQUEUE_AFTER;
    res->requeue_after_ms = 300;
  } else if (strcmp(mode, "terminal") == 0) {
    out = CAPZ_TERMINAL;
    snprintf(res->reason, sizeof res->reason, "InvalidConfiguration");
    snprintf(res->message, sizeof res->message, "spec.value must be positive");
  } else {
    if (strcmp(mode, "slow") == 0) usleep(100000);
    bool stamp = strcmp(mode, "stamp") == 0;
    mut m = {s, spec, stamp};
    bool after_loss = atomic_load(&s->lost);
    if (after_loss) atomic_fetch_add(&s->writes_after_loss_attempted, 1);
    int rc = capz_patch_status(capz_ctx_client(ctx), capz_ctx_gvk(ctx), o, NULL, NULL, set_status, &m, NULL, &e);
    if (rc == 0) {
      atomic_fetch_add(&s->writes_ok, 1);
      if (after_loss) atomic_fetch_add(&s->writes_after_loss_ok, 1);
    }
    if (stamp) {
      out = CAPZ_REQUEUE_AFTER;
      res->requeue_after_ms = 30;
    } else if (rc) {
      out = CAPZ_RETRY;
    }
  }
done:
  capz_obj_unref(o);
  pthread_mutex_lock(&s->mu);
  if (k) k->in_flight--;
  pthread_mutex_unlock(&s->mu);
  return out;
}

static int init(const capz_plugin_config *cfg, void **state, capz_err *err) {
  (void)cfg, (void)state, (void)err;
  return 0;
}

static const capz_controller widget_ctl = {
    .struct_size = sizeof(capz_controller),
    .primary = {"test.capz.io", "v1", "Widget", "widgets", true},
    .secondaries = secondaries,
    .reconcile = reconcile,
    .default_workers = 4,
};
static const capz_controller *const controllers[] = {&widget_ctl, NULL};

const capz_plugin widget_plugin = {
    .abi_major = CAPZ_ABI_MAJOR,
    .abi_minor = CAPZ_ABI_MINOR,
    .struct_size = sizeof(capz_plugin),
    .name = "widget",
    .version = "0.0.1",
    .description = "test plugin",
    .controllers = controllers,
    .init = init,
};
