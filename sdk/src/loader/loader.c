/* loader.c — finds, checks and opens plugin files; the descriptor checks are in loader_desc.c.
 * File checks come before dlopen because opening a shared object runs its constructors:
 * a file outside the plugin directories, a world-writable one or a duplicate name is refused
 * without executing any of its code. */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "loader_internal.h"

capz_loader *capz_loader_new(void) { return calloc(1, sizeof(capz_loader)); }

void capz_loader_free(capz_loader *l) {
  if (!l) return;
  for (size_t i = 0; i < l->ndirs; i++) free(l->dirs[i]);
  free(l->dirs);
  for (size_t i = 0; i < l->n; i++) ldr_release(l->plugins[i]);
  free(l->plugins);
  free(l);
}

int capz_loader_add_dir(capz_loader *l, const char *dir, capz_err *err) {
  if (!l || !dir || !*dir) return capz_err_set(err, CAPZ_EINVAL, "empty plugin directory");
  char *real = realpath(dir, NULL);
  if (!real) return capz_err_set(err, CAPZ_ENOTFOUND, "plugin directory %s: %s", dir, strerror(errno));
  struct stat st;
  if (stat(real, &st) != 0 || !S_ISDIR(st.st_mode)) {
    free(real);
    return capz_err_set(err, CAPZ_EINVAL, "plugin directory %s is not a directory", dir);
  }
  for (size_t i = 0; i < l->ndirs; i++)
    if (strcmp(l->dirs[i], real) == 0) {
      free(real);
      return 0;
    }
  char **d = realloc(l->dirs, (l->ndirs + 1) * sizeof *d);
  if (!d) {
    free(real);
    return capz_err_set(err, CAPZ_ENOMEM, "out of memory");
  }
  l->dirs = d;
  l->dirs[l->ndirs++] = real;
  return 0;
}

size_t capz_loader_count(const capz_loader *l) { return l ? l->n : 0; }

const capz_loaded_plugin *capz_loader_get(const capz_loader *l, size_t i) {
  return l && i < l->n ? l->plugins[i] : NULL;
}

bool capz_plugin_name_valid(const char *name) {
  if (!name) return false;
  size_t n = strnlen(name, 64);
  if (n == 0 || n > 63 || name[0] == '-' || name[n - 1] == '-') return false;
  for (size_t i = 0; i < n; i++)
    if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') || name[i] == '-')) return false;
  return true;
}

bool capz_plugin_file_stem(const char *path, char *out, size_t n) {
  if (!path || !out || n == 0) return false;
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  size_t len = strlen(base);
  if (len <= 3 || strcmp(base + len - 3, ".so") != 0 || len - 3 >= n) return false;
  memcpy(out, base, len - 3);
  out[len - 3] = '\0';
  return true;
}

char *capz_gvk_kind_str(const capz_gvk *gvk, char *out, size_t n) {
  if (!out || n == 0) return out;
  const char *kind = gvk && gvk->kind ? gvk->kind : "";
  if (gvk && gvk->group && *gvk->group) snprintf(out, n, "%s.%s", kind, gvk->group);
  else snprintf(out, n, "%s", kind);
  return out;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

void capz_loader_free_paths(char **paths, size_t n) {
  if (!paths) return;
  for (size_t i = 0; i < n; i++) free(paths[i]);
  free(paths);
}

int capz_loader_list_dir(const char *dir, char ***paths, size_t *n, capz_err *err) {
  *paths = NULL;
  *n = 0;
  DIR *d = opendir(dir);
  if (!d) return capz_err_set(err, CAPZ_ENOTFOUND, "plugin directory %s: %s", dir, strerror(errno));
  char **v = NULL;
  size_t cnt = 0, cap = 0;
  struct dirent *e;
  int rc = 0;
  while ((e = readdir(d)) != NULL) {
    size_t len = strlen(e->d_name);
    if (len <= 3 || strcmp(e->d_name + len - 3, ".so") != 0) continue;
    if (cnt == cap) {
      cap = cap ? cap * 2 : 8;
      char **nv = realloc(v, cap * sizeof *nv);
      if (!nv) { rc = CAPZ_ENOMEM; break; }
      v = nv;
    }
    size_t dl = strlen(dir);
    char *p = malloc(dl + len + 2);
    if (!p) { rc = CAPZ_ENOMEM; break; }
    snprintf(p, dl + len + 2, "%s%s%s", dir, (dl && dir[dl - 1] == '/') ? "" : "/", e->d_name);
    v[cnt++] = p;
  }
  closedir(d);
  if (rc) {
    capz_loader_free_paths(v, cnt);
    return capz_err_set(err, rc, "out of memory");
  }
  if (cnt) qsort(v, cnt, sizeof *v, by_name);
  *paths = v;
  *n = cnt;
  return 0;
}

/* The directory part of path resolved with realpath; NULL when it cannot be resolved. */
static char *real_dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return realpath(".", NULL);
  if (slash == path) return realpath("/", NULL);
  size_t len = (size_t)(slash - path);
  char *d = strndup(path, len);
  if (!d) return NULL;
  char *r = realpath(d, NULL);
  free(d);
  return r;
}

/* Checks that need no code from the file. On refusal fills why and returns non-zero.
 * On success *abs is the absolute path to dlopen (caller frees). */
static int check_file(const capz_loader *l, const char *path, char **abs, capz_err *why) {
  struct stat st;
  if (lstat(path, &st) != 0) return capz_err_set(why, CAPZ_ENOTFOUND, "cannot stat: %s", strerror(errno));
  if (!S_ISREG(st.st_mode)) return capz_err_set(why, CAPZ_EINVAL, "not a regular file");
  if (st.st_mode & S_IWOTH)
    return capz_err_set(why, CAPZ_EINVAL, "world-writable file (mode %04o)", (unsigned)(st.st_mode & 07777));
  char *dir = real_dir_of(path);
  if (!dir) return capz_err_set(why, CAPZ_ENOTFOUND, "cannot resolve its directory: %s", strerror(errno));
  bool allowed = false;
  for (size_t i = 0; i < l->ndirs && !allowed; i++) allowed = strcmp(l->dirs[i], dir) == 0;
  if (!allowed) {
    free(dir);
    return capz_err_set(why, CAPZ_EINVAL, "not in a configured plugin directory");
  }
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  size_t need = strlen(dir) + strlen(base) + 2;
  *abs = malloc(need);
  if (!*abs) {
    free(dir);
    return capz_err_set(why, CAPZ_ENOMEM, "out of memory");
  }
  snprintf(*abs, need, "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, base);
  free(dir);
  return 0;
}

/* A plugin built for another major exports capz_plugin_v<N>: name that major if we can. */
static void explain_missing_entry(void *h, capz_err *why) {
  for (int major = 0; major <= 16; major++) {
    char sym[32];
    snprintf(sym, sizeof sym, "capz_plugin_v%d", major);
    if (major != CAPZ_ABI_MAJOR && dlsym(h, sym)) {
      capz_err_set(why, CAPZ_EINVAL, "missing entry symbol %s; it exports %s (plugin ABI %d.x, host ABI %d.%d)",
                   CAPZ_PLUGIN_ENTRY_NAME, sym, major, CAPZ_ABI_MAJOR, CAPZ_ABI_MINOR);
      return;
    }
  }
  capz_err_set(why, CAPZ_EINVAL, "missing entry symbol %s (not a capz plugin, or built for another ABI major; host ABI %d.%d)",
               CAPZ_PLUGIN_ENTRY_NAME, CAPZ_ABI_MAJOR, CAPZ_ABI_MINOR);
}

static int open_and_copy(capz_loader *l, const char *abs, const char *stem, capz_loaded_plugin *lp, capz_err *why) {
  dlerror();
  void *h = dlopen(abs, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char *e = dlerror();
    return capz_err_set(why, CAPZ_EINVAL, "dlopen failed: %s", e ? e : "unknown error");
  }
  /* Never dlclose: a refused plugin's code may still be referenced by loader data (strings),
   * and unloading objects with thread-local state or atexit handlers is unsafe. */
  union { void *obj; capz_plugin_entry_fn fn; } entry;
  entry.obj = dlsym(h, CAPZ_PLUGIN_ENTRY_NAME);
  if (!entry.obj) {
    explain_missing_entry(h, why);
    return CAPZ_EINVAL;
  }
  const capz_plugin *d = entry.fn();
  if (!d) return capz_err_set(why, CAPZ_EINVAL, "%s() returned no descriptor", CAPZ_PLUGIN_ENTRY_NAME);
  if (d->abi_major != CAPZ_ABI_MAJOR)
    return capz_err_set(why, CAPZ_EINVAL, "ABI major %u is not supported (plugin ABI %u.%u, host ABI %d.%d)",
                        d->abi_major, d->abi_major, d->abi_minor, CAPZ_ABI_MAJOR, CAPZ_ABI_MINOR);
  if (d->abi_minor > CAPZ_ABI_MINOR)
    return capz_err_set(why, CAPZ_EINVAL, "built for a newer ABI minor (plugin ABI %u.%u, host ABI %d.%d)",
                        d->abi_major, d->abi_minor, CAPZ_ABI_MAJOR, CAPZ_ABI_MINOR);
  if (d->struct_size < CAPZ_PLUGIN_SIZE_V1_0)
    return capz_err_set(why, CAPZ_EINVAL,
                        "descriptor is %u bytes, smaller than the first released size %zu (plugin ABI %u.%u, host ABI %d.%d)",
                        d->struct_size, (size_t)CAPZ_PLUGIN_SIZE_V1_0, d->abi_major, d->abi_minor, CAPZ_ABI_MAJOR,
                        CAPZ_ABI_MINOR);
  return ldr_copy_descriptor(l, d, stem, lp, why);
}

int capz_loader_load(capz_loader *l, const char *path, const capz_loaded_plugin **out, capz_err *err) {
  if (out) *out = NULL;
  const char *shown = path && *path ? path : "(empty path)";
  if (!l || !path || !*path) return capz_err_set(err, CAPZ_EINVAL, "refusing plugin %s: no loader or path", shown);
  capz_err why;
  capz_err_clear(&why);
  char stem[128];
  char *abs = NULL;
  capz_loaded_plugin *lp = NULL;
  if (!capz_plugin_file_stem(path, stem, sizeof stem)) {
    capz_err_set(&why, CAPZ_EINVAL, "file name does not end in .so or is too long");
    goto refuse;
  }
  if (check_file(l, path, &abs, &why)) goto refuse;
  if (!capz_plugin_name_valid(stem)) {
    capz_err_set(&why, CAPZ_EINVAL, "invalid plugin name '%s' (want 1-63 of [a-z0-9-], no leading/trailing '-')", stem);
    goto refuse;
  }
  for (size_t p = 0; p < l->n; p++)
    if (strcmp(l->plugins[p]->desc.name, stem) == 0) {
      capz_err_set(&why, CAPZ_EINVAL, "duplicate plugin name '%s' (already loaded from %s)", stem, l->plugins[p]->path);
      goto refuse;
    }
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 8;
    capz_loaded_plugin **np = realloc(l->plugins, cap * sizeof *np);
    if (!np) {
      capz_err_set(&why, CAPZ_ENOMEM, "out of memory");
      goto refuse;
    }
    l->plugins = np;
    l->cap = cap;
  }
  lp = calloc(1, sizeof *lp);
  if (!lp || !(lp->path = strdup(path))) {
    capz_err_set(&why, CAPZ_ENOMEM, "out of memory");
    goto refuse;
  }
  if (open_and_copy(l, abs, stem, lp, &why)) goto refuse;
  free(abs);
  l->plugins[l->n++] = lp;
  if (out) *out = lp;
  return 0;
refuse:
  free(abs);
  ldr_release(lp);
  return capz_err_set(err, why.code ? why.code : CAPZ_EINVAL, "refusing plugin %s: %s", path, why.msg);
}
