/* cli.c — getopt_long parsing of capz-host's flags and their application over the file. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "capz/loader.h"
#include "cli.h"

enum { OPT_CONFIG = 256, OPT_PLUGIN_DIR, OPT_ENABLE, OPT_DISABLE, OPT_LOG_FORMAT, OPT_KUBECONFIG, OPT_CONTEXT,
       OPT_LIST, OPT_CHECK, OPT_VERSION };

static const struct option opts[] = {
    {"config", required_argument, NULL, OPT_CONFIG},
    {"plugin-dir", required_argument, NULL, OPT_PLUGIN_DIR},
    {"enable", required_argument, NULL, OPT_ENABLE},
    {"disable", required_argument, NULL, OPT_DISABLE},
    {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
    {"kubeconfig", required_argument, NULL, OPT_KUBECONFIG},
    {"context", required_argument, NULL, OPT_CONTEXT},
    {"list-plugins", no_argument, NULL, OPT_LIST},
    {"check-config", no_argument, NULL, OPT_CHECK},
    {"version", no_argument, NULL, OPT_VERSION},
    {"v", required_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

void host_cli_usage(FILE *out) {
  fputs("usage: capz-host [--config FILE] [flags]\n"
        "  --config FILE        YAML configuration (docs/CONFIG.md)\n"
        "  --plugin-dir DIR     plugin directory (repeatable; replaces pluginDirs from the file)\n"
        "  --enable NAME        enable plugin NAME (overrides the file)\n"
        "  --disable NAME       disable plugin NAME; it is never opened\n"
        "  -v N                 log verbosity (0-10)\n"
        "  --log-format FMT     text or json\n"
        "  --kubeconfig PATH    kubeconfig file\n"
        "  --context NAME       kubeconfig context\n"
        "  --list-plugins       print one line per plugin file and exit\n"
        "  --check-config       validate the configuration (and each enabled plugin's config) and exit 0/1\n"
        "  --version            print the version and exit\n",
        out);
}

static int add_toggle(host_cli *cli, const char *name, bool enabled) {
  host_cli_toggle *t = realloc(cli->toggles, (cli->n_toggles + 1) * sizeof *t);
  if (!t) return -1;
  cli->toggles = t;
  t[cli->n_toggles].name = name;
  t[cli->n_toggles].enabled = enabled;
  cli->n_toggles++;
  return 0;
}

int host_cli_parse(int argc, char **argv, host_cli *cli, FILE *errs) {
  memset(cli, 0, sizeof *cli);
  cli->verbosity = -1;
  int problems = 0;
  optind = 1;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, ":v:h", opts, NULL)) != -1) {
    switch (c) {
    case OPT_CONFIG: cli->config_path = optarg; break;
    case OPT_PLUGIN_DIR: {
      const char **d = realloc(cli->plugin_dirs, (cli->n_plugin_dirs + 1) * sizeof *d);
      if (!d) return 1;
      cli->plugin_dirs = d;
      d[cli->n_plugin_dirs++] = optarg;
      break;
    }
    case OPT_ENABLE:
    case OPT_DISABLE:
      if (!capz_plugin_name_valid(optarg)) {
        fprintf(errs, "capz-host: --%s %s: invalid plugin name\n", c == OPT_ENABLE ? "enable" : "disable", optarg);
        problems++;
      } else if (add_toggle(cli, optarg, c == OPT_ENABLE)) {
        return 1;
      }
      break;
    case 'v': {
      char *end = NULL;
      errno = 0;
      long v = strtol(optarg, &end, 10);
      if (!*optarg || *end || errno || v < 0 || v > 10) {
        fprintf(errs, "capz-host: -v %s: expected an integer from 0 to 10\n", optarg);
        problems++;
      } else {
        cli->verbosity = (int)v;
      }
      break;
    }
    case OPT_LOG_FORMAT:
      if (strcmp(optarg, "text") != 0 && strcmp(optarg, "json") != 0) {
        fprintf(errs, "capz-host: --log-format %s: expected text or json\n", optarg);
        problems++;
      }
      cli->log_format = optarg;
      break;
    case OPT_KUBECONFIG: cli->kubeconfig = optarg; break;
    case OPT_CONTEXT: cli->context = optarg; break;
    case OPT_LIST: cli->list_plugins = true; break;
    case OPT_CHECK: cli->check_config = true; break;
    case OPT_VERSION: cli->version = true; break;
    case 'h': cli->help = true; break;
    case ':':
      fprintf(errs, "capz-host: %s needs a value\n", argv[optind - 1]);
      problems++;
      break;
    default:
      fprintf(errs, "capz-host: unknown flag %s (see --help)\n", argv[optind - 1]);
      problems++;
      break;
    }
  }
  if (optind < argc) {
    fprintf(errs, "capz-host: unexpected argument %s (see --help)\n", argv[optind]);
    problems++;
  }
  return problems;
}

void host_cli_free(host_cli *cli) {
  free(cli->plugin_dirs);
  free(cli->toggles);
  memset(cli, 0, sizeof *cli);
}

static int replace(char **dst, const char *v) {
  char *c = strdup(v);
  if (!c) return 1;
  free(*dst);
  *dst = c;
  return 0;
}

int host_cli_apply(const host_cli *cli, host_config *cfg, FILE *errs) {
  int problems = 0;
  if (cli->n_plugin_dirs) {
    for (size_t i = 0; i < cfg->n_plugin_dirs; i++) free(cfg->plugin_dirs[i]);
    free(cfg->plugin_dirs);
    cfg->n_plugin_dirs = 0;
    cfg->plugin_dirs = calloc(cli->n_plugin_dirs, sizeof *cfg->plugin_dirs);
    if (!cfg->plugin_dirs) return 1;
    for (size_t i = 0; i < cli->n_plugin_dirs; i++) {
      if (!(cfg->plugin_dirs[i] = strdup(cli->plugin_dirs[i]))) return 1;
      cfg->n_plugin_dirs++;
    }
  }
  for (size_t i = 0; i < cli->n_toggles; i++) {
    host_plugin_conf *p = host_config_plugin(cfg, cli->toggles[i].name, true);
    if (!p) return 1;
    p->enabled = cli->toggles[i].enabled;
  }
  if (cli->verbosity >= 0) cfg->log_verbosity = cli->verbosity;
  if (cli->log_format) cfg->log_format = strcmp(cli->log_format, "json") == 0 ? CAPZ_LOG_JSON : CAPZ_LOG_TEXT;
  if (cli->kubeconfig) problems += replace(&cfg->kube.kubeconfig, cli->kubeconfig);
  if (cli->context) problems += replace(&cfg->kube.context, cli->context);
  if (problems) fprintf(errs, "capz-host: out of memory\n");
  return problems;
}
