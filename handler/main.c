/* SPDX-License-Identifier: MIT */
/* ssh-tpm-agent - the agent's entry points: standalone listener (-l),
 * systemd socket activation (Accept=yes connection or Accept=no listener
 * on fd 3) and inetd (connection on stdin/stdout).  Every connection is
 * served by its own short-lived process that keeps nothing afterwards. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "ask.h"
#include "cli.h"
#include "err.h"
#include "fileio.h"
#include "handler.h"
#include "listen.h"
#include "log.h"
#include "tpm-cli.h"
#include "swtpm.h"
#include "sysutil.h"
#include "units.h"

static const char *arg_socket;
static char *arg_key_dir;
static bool arg_no_load;
static uint32_t arg_hierarchy;
static bool arg_print_socket;
static struct tpm_opts arg_tpm;
static bool arg_ask_owner;
static enum cache_backend arg_cache = CACHE_KEYRING;
static unsigned arg_cache_timeout = CACHE_DEFAULT_TIMEOUT;
static unsigned arg_prompt_timeout = HANDLER_DEFAULT_PROMPT_TIMEOUT;
static bool arg_install_user_units;
static bool arg_start_swtpm;
static bool arg_foreground;      /* -D */
static bool arg_confirm_loaded;
static int arg_shell = -1;       /* -c: 1 (csh), -s: 0 (sh), else from $SHELL */
static char **arg_command;       /* COMMAND [ARG...] */
static char **arg_fallbacks;     /* -A SOCKET, in order */
static size_t arg_n_fallbacks;

/* -A SOCKET: kept absolute (the agent may change directory when it goes
 * to the background), at most what a socket address holds. */
static int add_fallback(const char *path)
{
	struct sockaddr_un sa;
	char **grown, *abs = NULL, *cwd = NULL;

	if (!*path) {
		log_error("invalid -A '': no socket path (is SSH_AUTH_SOCK set?)");
		return -1;
	}
	if (path[0] == '/') {
		abs = strdup(path);
	} else if ((cwd = getcwd(NULL, 0))) {
		if (asprintf(&abs, "%s/%s", cwd, path) < 0)
			abs = NULL;
	}
	free(cwd);
	if (!abs) {
		log_error("-A '%s': %s", path, strerror(errno));
		return -1;
	}
	if (strlen(abs) >= sizeof(sa.sun_path)) {
		log_error("invalid -A '%s': longer than a socket path may be (%zu bytes)", abs,
			  sizeof(sa.sun_path) - 1);
		free(abs);
		return -1;
	}
	for (size_t i = 0; i < arg_n_fallbacks; i++)
		if (strcmp(arg_fallbacks[i], abs) == 0) {
			log_warning("-A %s given twice: asked once", abs);
			free(abs);
			return 0;
		}
	grown = realloc(arg_fallbacks, (arg_n_fallbacks + 1) * sizeof(*grown));
	if (!grown) {
		free(abs);
		return -1;
	}
	arg_fallbacks = grown;
	arg_fallbacks[arg_n_fallbacks++] = abs;
	return 0;
}

static void usage(void)
{
	printf("usage: ssh-tpm-agent [-c | -s] [-D] [-d] [-o] [-l PATH] [-A SOCKET]...\n"
	       "                     [--key-dir PATH] [--no-load] [--confirm-loaded]\n"
	       "                     [--hierarchy HIERARCHY] [--no-cache | --cache keyring|secret]\n"
	       "                     [--cache-timeout SECONDS] [--prompt-timeout SECONDS]\n"
	       "                     [--tcti CONF] [--swtpm] [--tpm-timeout SECONDS]\n"
	       "                     [COMMAND [ARG...]]\n"
	       "       ssh-tpm-agent --print-socket\n"
	       "       ssh-tpm-agent --install-user-units\n"
	       "       ssh-tpm-agent --start-swtpm [--swtpm]\n"
	       "An ssh-agent for TPM 2.0 keys.  Under systemd socket activation or inetd\n"
	       "it serves the socket it is given; else it prints the shell lines that set\n"
	       "SSH_AUTH_SOCK and goes to the background, or runs COMMAND with them set.\n"
	       "\n"
	       "Options:\n"
	       "  -l PATH                listen on PATH (default: $SSH_TPM_AUTH_SOCK, else\n"
	       "                         $XDG_RUNTIME_DIR/ssh-tpm-agent.sock)\n"
	       "  -A SOCKET              also offer the keys of the agent at SOCKET (repeatable)\n"
	       "  -c                     csh lines for eval\n"
	       "  -s                     sh lines for eval\n"
	       "  -D                     stay in the foreground\n"
	       "  -d                     stay in the foreground and log debug messages\n"
	       "  -o, --owner-password   ask for the TPM owner password\n"
	       "  --key-dir PATH         where the .tpm keys are (default ~/.ssh)\n"
	       "  --no-load              offer no keys from the key dir, only added ones\n"
	       "  --confirm-loaded       every use of a key-dir key must be confirmed\n"
	       "  --hierarchy HIERARCHY  also offer the hierarchy's keys: owner, endorsement,\n"
	       "                         null or platform\n"
	       "  --no-cache             ask for passphrases every time\n"
	       "  --cache keyring|secret\n"
	       "                         where passphrases are kept (default keyring)\n"
	       "  --cache-timeout SECONDS\n"
	       "                         how long they are kept (default %u)\n"
	       "  --prompt-timeout SECONDS\n"
	       "                         how long a passphrase prompt waits (default %u)\n"
	       "  --tcti CONF            the TPM to use (default $SSH_TPM_AGENT_TCTI, else\n"
	       "                         the kernel's resource manager)\n"
	       "  --swtpm                use a software TPM (for trying out, not secure)\n"
	       "  --tpm-timeout SECONDS  give up on a TPM that does not answer (default %u)\n"
	       "  --print-socket         print the socket path and exit\n"
	       "  --install-user-units   install the systemd user units into\n"
	       "                         $XDG_CONFIG_HOME/systemd/user (~/.config/...)\n"
	       "  --start-swtpm          start the --swtpm software TPM and exit\n"
	       "  -h, --help             show this help\n"
	       "  --version              show the version\n",
	       CACHE_DEFAULT_TIMEOUT, HANDLER_DEFAULT_PROMPT_TIMEOUT, HANDLER_TPM_TIMEOUT);
}

static int parse_argv(int argc, char **argv)
{
	enum { OPT_PRINT_SOCKET = 0x100, OPT_KEY_DIR, OPT_NO_LOAD, OPT_NO_CACHE,
	       OPT_HIERARCHY, OPT_INSTALL_USER_UNITS,
	       OPT_CACHE, OPT_CACHE_TIMEOUT, OPT_PROMPT_TIMEOUT, OPT_START_SWTPM,
	       OPT_CONFIRM_LOADED };
	static const struct option opts[] = {
		{ "print-socket", no_argument, NULL, OPT_PRINT_SOCKET },
		{ "key-dir", required_argument, NULL, OPT_KEY_DIR },
		{ "no-load", no_argument, NULL, OPT_NO_LOAD },
		{ "owner-password", no_argument, NULL, 'o' },
		{ "no-cache", no_argument, NULL, OPT_NO_CACHE },
		{ "cache", required_argument, NULL, OPT_CACHE },
		{ "cache-timeout", required_argument, NULL, OPT_CACHE_TIMEOUT },
		{ "prompt-timeout", required_argument, NULL, OPT_PROMPT_TIMEOUT },
		{ "hierarchy", required_argument, NULL, OPT_HIERARCHY },
		{ "install-user-units", no_argument, NULL, OPT_INSTALL_USER_UNITS },
		{ "start-swtpm", no_argument, NULL, OPT_START_SWTPM },
		{ "confirm-loaded", no_argument, NULL, OPT_CONFIRM_LOADED },
		CLI_COMMON_OPTIONS,
		TPM_CLI_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	/* "+": options end at COMMAND, whose own options are its own. */
	while ((c = getopt_long(argc, argv, "+:l:A:odhcsD", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			if (!*optarg) {
				/* bind() would make it an abstract socket,
				 * which every local user can reach. */
				log_error("invalid -l '': the socket path is empty");
				return -1;
			}
			arg_socket = optarg;
			break;
		case 'A':
			if (add_fallback(optarg) < 0)
				return -1;
			break;
		case 'o':
			arg_ask_owner = true;
			break;
		case OPT_NO_CACHE:
			arg_cache = CACHE_NONE;
			break;
		case OPT_CACHE:
			if (cache_backend_from_string(optarg, &arg_cache) < 0 ||
			    arg_cache == CACHE_NONE) {
				log_error("invalid --cache '%s': use keyring or secret (or --no-cache)",
					  optarg);
				return -1;
			}
			break;
		case OPT_CACHE_TIMEOUT:
			if (cli_parse_seconds("--cache-timeout", optarg, 365U * 86400,
					  &arg_cache_timeout) < 0)
				return -1;
			break;
		case OPT_PROMPT_TIMEOUT:
			if (cli_parse_seconds("--prompt-timeout", optarg, 86400,
					  &arg_prompt_timeout) < 0)
				return -1;
			break;
		case OPT_HIERARCHY:
			if (tpm_cli_hierarchy(optarg, &arg_hierarchy) < 0)
				return -1;
			break;
		case OPT_INSTALL_USER_UNITS:
			arg_install_user_units = true;
			break;
		case OPT_START_SWTPM:
			arg_start_swtpm = true;
			break;
		case OPT_CONFIRM_LOADED:
			arg_confirm_loaded = true;
			break;
		case 'd':
			log_setup(NULL, LOG_LEVEL_DEBUG);
			arg_foreground = true;
			break;
		case 'D':
			arg_foreground = true;
			break;
		case 'c':
			arg_shell = 1;
			break;
		case 's':
			arg_shell = 0;
			break;
		case OPT_PRINT_SOCKET:
			arg_print_socket = true;
			break;
		case OPT_KEY_DIR:
			free(arg_key_dir);
			arg_key_dir = strdup(optarg);
			if (!arg_key_dir)
				return -1;
			break;
		case OPT_NO_LOAD:
			arg_no_load = true;
			break;
		case 'h':
			usage();
			cli_exit_stdout();
		case CLI_OPT_VERSION:
			cli_version("ssh-tpm-agent");
		default:
			if (tpm_cli_option(&arg_tpm, c, optarg, argv) < 0)
				return -1;
		}
	}
	if (optind < argc)
		arg_command = argv + optind;
	return 0;
}

/* -l, else $SSH_TPM_AUTH_SOCK, else $XDG_RUNTIME_DIR/ssh-tpm-agent.sock
 * (when that directory is ours), else -- for root, the system agent --
 * /var/tmp/ssh-tpm-agent.sock, else a socket in the user's private
 * ~/.ssh/agent (as OpenSSH 10.1 does): never a name in a shared directory
 * that another user could take first.  *ret_private_dir is the directory
 * to create (0700) before listening, or NULL. */
static int socket_path(char **ret, char **ret_private_dir)
{
	const char *v = getenv("SSH_TPM_AUTH_SOCK");
	char *p;

	*ret = *ret_private_dir = NULL;
	if (arg_socket)
		p = strdup(arg_socket);
	else if (v && *v)
		p = strdup(v);
	else if (xdg_runtime_dir_usable()) {
		if (asprintf(&p, "%s/ssh-tpm-agent.sock", getenv("XDG_RUNTIME_DIR")) < 0)
			p = NULL;
	} else if (geteuid() == 0)
		p = strdup("/var/tmp/ssh-tpm-agent.sock");
	else {
		if (asprintf(&p, "%s/.ssh/agent/ssh-tpm-agent.sock", home_dir()) < 0)
			p = NULL;
		else if (asprintf(ret_private_dir, "%s/.ssh/agent", home_dir()) < 0) {
			free(p);
			p = NULL;
		}
	}
	if (!p) {
		free(*ret_private_dir);
		*ret_private_dir = NULL;
		return TA_ERR_NOMEM;
	}
	*ret = p;
	return 0;
}

/* ~/.ssh (0700 if we make it) and the private directory in it.  Nothing
 * is made in a home that another user may change -- or in a user's home
 * by root, with $HOME kept (sudo -E): the socket would be refused there
 * anyway, and root's ~/.ssh in it would lock the user out of their own. */
static int make_private_socket_dir(const char *dir)
{
	_cleanup_free_ char *ssh = NULL;
	const char *home = home_dir();
	int r;

	r = path_check_chain(home);
	if (r == TA_ERR_SYSTEM)
		log_error("%s: %s", home, strerror(errno));
	if (r < 0)
		return r;
	if (asprintf(&ssh, "%s/.ssh", home) < 0)
		return TA_ERR_NOMEM;
	if (mkdir(ssh, 0700) < 0 && errno != EEXIST) {
		log_error("%s: %s", ssh, strerror(errno));
		return TA_ERR_SYSTEM;
	}
	return private_dir_ensure(dir, false);
}

static char *default_key_dir(void)
{
	char *p;

	if (asprintf(&p, "%s/.ssh", home_dir()) < 0)
		return NULL;
	return p;
}

/* --install-user-units: the user units, naming this binary, into
 * $XDG_CONFIG_HOME/systemd/user (default ~/.config/systemd/user). */
static int install_user_units(void)
{
	_cleanup_free_ char *dir = NULL, *bindir = NULL;
	const char *xdg = getenv("XDG_CONFIG_HOME");
	int r;

	/* The XDG spec: a relative value is to be ignored. */
	if (xdg && xdg[0] == '/')
		r = asprintf(&dir, "%s/systemd/user", xdg);
	else
		r = asprintf(&dir, "%s/.config/systemd/user", home_dir());
	if (r < 0)
		return 1;
	/* Interrupted: no temporary files left in the unit dir. */
	atomic_file_cleanup_on_signals();
	r = self_bindir(&bindir);
	if (r < 0) {
		log_error_r(r, "cannot find this program's path (/proc/self/exe)");
		return 1;
	}
	if (units_install(UNIT_SCOPE_USER, dir, bindir) < 0)
		return 1;
	printf("Enable with: systemctl --user enable --now ssh-tpm-agent.socket\n");
	return 0;
}

/* --start-swtpm (ssh-tpm-swtpm.service, Type=forking): the --swtpm daemon
 * running, started if needed; returns once it answers. */
static int start_swtpm(void)
{
	_cleanup_free_ char *tcti = NULL;
	int r;

	r = swtpm_daemon_tcti(&tcti);
	if (r < 0) {
		log_error_r(r, "cannot start swtpm");
		return 1;
	}
	log_debug("swtpm answers at %s", tcti);
	return 0;
}

/* With COMMAND and no socket named (-l, $SSH_TPM_AUTH_SOCK): a socket of
 * this agent's own, DIR/agent.sock in a new 0700 directory in
 * $XDG_RUNTIME_DIR (else ~/.ssh/agent), as ssh-agent makes one per
 * COMMAND: it never meets the user's socket unit or an agent that is
 * still ending on the default path.  The directory goes with the socket. */
static int command_socket_path(char **ret, char **ret_dir)
{
	_cleanup_free_ char *base = NULL, *dir = NULL;
	bool xdg = xdg_runtime_dir_usable();
	char *p;

	*ret = *ret_dir = NULL;
	if (xdg)
		base = strdup(getenv("XDG_RUNTIME_DIR"));
	else if (asprintf(&base, "%s/.ssh/agent", home_dir()) < 0)
		base = NULL;
	if (!base)
		return TA_ERR_NOMEM;
	if (!xdg && make_private_socket_dir(base) < 0) {
		log_error("cannot use %s for the agent's socket (see above); give one with -l", base);
		return TA_ERR_SYSTEM;
	}
	if (asprintf(&dir, "%s/ssh-tpm-agent.XXXXXX", base) < 0) {
		dir = NULL;
		return TA_ERR_NOMEM;
	}
	if (!mkdtemp(dir)) {
		log_error("cannot make a directory for the agent's socket in %s: %s", base,
			  strerror(errno));
		return TA_ERR_SYSTEM;
	}
	if (asprintf(&p, "%s/agent.sock", dir) < 0) {
		(void)rmdir(dir);
		return TA_ERR_NOMEM;
	}
	*ret = p;
	*ret_dir = TAKE_PTR(dir);
	return 0;
}

/* ssh-agent's lines for eval: csh's with -c or a csh $SHELL, sh's else. */
static void print_env_lines(const char *sock, pid_t pid)
{
	const char *sh = getenv("SHELL");
	size_t n = sh ? strlen(sh) : 0;
	bool csh = arg_shell >= 0 ? arg_shell == 1 : n >= 3 && strcmp(sh + n - 3, "csh") == 0;

	if (csh)
		printf("setenv SSH_AUTH_SOCK %s;\nsetenv SSH_AGENT_PID %d;\n", sock, (int)pid);
	else
		printf("SSH_AUTH_SOCK=%s; export SSH_AUTH_SOCK;\nSSH_AGENT_PID=%d; export SSH_AGENT_PID;\n",
		       sock, (int)pid);
	printf("echo Agent pid %d;\n", (int)pid);
	fflush(stdout);
}

/* ssh-tpm-agent [OPTIONS] COMMAND [ARG...]: this process becomes COMMAND
 * (its exit status is the shell's to see), with SSH_AUTH_SOCK and
 * SSH_AGENT_PID set; the agent is a child that ends when COMMAND does. */
static int run_command(int fd, struct listen_path *lp, const struct handler_config *cfg)
{
	pid_t parent = getpid(), pid;
	char num[32];
	sigset_t mask, old;
	int r;

	/* Blocked from before the fork until listen_loop takes them: a
	 * COMMAND that fails at once still has its socket removed. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, &old);
	pid = fork();
	if (pid < 0) {
		log_error("fork: %s", strerror(errno));
		listen_path_remove(lp);
		return 1;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			raise(SIGTERM);
		/* COMMAND keeps the terminal: the agent's messages (the
		 * audit lines among them) go to the journal or syslog, as
		 * ssh-agent's do, not between COMMAND's lines -- unless -D
		 * or -d asks for them there. */
		if (stdio_to_null(1u << 0 | 1u << 1) < 0)
			_exit(1);
		if (!arg_foreground) /* -D, -d: on stderr after all */
			log_to_background();
		_exit(listen_loop(fd, lp, cfg) < 0 ? 1 : 0);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(fd);
	snprintf(num, sizeof(num), "%d", (int)pid);
	if (setenv("SSH_AUTH_SOCK", lp->path, 1) < 0 || setenv("SSH_AGENT_PID", num, 1) < 0) {
		kill(pid, SIGTERM);
		return 1;
	}
	/* The child owns the socket (and removes it, with its directory). */
	free(lp->path);
	lp->path = NULL;
	free(lp->dir);
	lp->dir = NULL;
	execvp(arg_command[0], arg_command);
	r = errno;
	log_error("%s: %s", arg_command[0], strerror(r));
	kill(pid, SIGTERM);
	return r == ENOENT ? 127 : 126;
}

/* A tuning knob from the environment (tests make the bounds short): a
 * number in 1 .. max, else the default when unset or empty; anything
 * else is refused (-1, said why). */
static int env_tunable(const char *name, unsigned max, unsigned def, unsigned *ret)
{
	const char *s = getenv(name);
	char *end;
	unsigned long v;

	if (!s || !*s) {
		*ret = def;
		return 0;
	}
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || *s < '0' || *s > '9' || v == 0 || v > max) {
		log_error("invalid %s='%s': expected a number in 1 .. %u", name, s, max);
		return -1;
	}
	*ret = (unsigned)v;
	return 0;
}

static bool fd_is_socket(int fd, bool *ret_listening)
{
	struct stat st;
	int v = 0;
	socklen_t l = sizeof(v);

	if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
		return false;
	*ret_listening = getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &l) == 0 && v;
	return true;
}

int main(int argc, char **argv)
{
	_cleanup_free_ char *path = NULL, *private_dir = NULL, *command_dir = NULL;
	_cleanup_(secret_freep) char *owner_pw = NULL;
	struct handler_config cfg = { 0 };
	struct listen_path lp = { 0 };
	bool listening = false;
	unsigned frame_ms, max_conns;
	int n, fd, r;

	/* No core dumps, no ptrace by other processes of the user. */
	no_core_dumps();
	signal(SIGPIPE, SIG_IGN);
	log_setup("ssh-tpm-agent", LOG_LEVEL_INFO);
	/* The handler needs no openssl.cnf (engines, providers, policies):
	 * skipping it saves time and memory on every connection. */
	OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);

	if (parse_argv(argc, argv) < 0)
		return CLI_EXIT_USAGE;
	/* After --help (whose closed stdout is an error): from here on a
	 * closed 0, 1 or 2 would be taken by our listening socket, which
	 * the background agent's stdio_to_null then replaces by /dev/null
	 * (an accept loop on a non-socket). */
	if (stdio_ensure_open() < 0) {
		log_error("cannot open /dev/null: %s", strerror(errno));
		return 1;
	}
	if (arg_command && (arg_install_user_units || arg_start_swtpm || arg_print_socket)) {
		log_error("unexpected argument '%s' (a COMMAND runs only with the agent itself)",
			  arg_command[0]);
		return CLI_EXIT_USAGE;
	}
	if (arg_install_user_units)
		return install_user_units();
	if (arg_start_swtpm)
		return start_swtpm();
	if (arg_print_socket) {
		struct stat st;

		if (socket_path(&path, &private_dir) < 0)
			return 1;
		if (lstat(path, &st) == 0 && st.st_uid != geteuid())
			log_warning("%s belongs to uid %u, not to us: an agent started now would refuse it",
				    path, (unsigned)st.st_uid);
		printf("%s\n", path);
		return 0;
	}
	if (!arg_key_dir)
		arg_key_dir = default_key_dir();
	if (!arg_key_dir)
		return 1;
	if (cli_take_owner_password(&owner_pw) < 0)
		return 1;
	arg_tpm.owner_auth = owner_pw;
	/* Signing takes the TPM well under a second; a handler whose TPM
	 * does not answer must not live on. */
	if (!arg_tpm.timeout_s)
		arg_tpm.timeout_s = HANDLER_TPM_TIMEOUT;
	if (env_tunable("SSH_TPM_AGENT_FRAME_TIMEOUT_MS", 3600 * 1000, HANDLER_FRAME_TIMEOUT_MS,
			&frame_ms) < 0 ||
	    env_tunable("SSH_TPM_AGENT_MAX_CONNECTIONS", 65536,
			geteuid() == 0 ? HANDLER_MAX_CONNECTIONS_ROOT : HANDLER_MAX_CONNECTIONS_USER,
			&max_conns) < 0)
		return 1;
	cfg = (struct handler_config){
		.key_dir = arg_key_dir,
		.no_load = arg_no_load,
		.hierarchy = arg_hierarchy,
		.confirm_loaded = arg_confirm_loaded,
		.tpm = arg_tpm,
		.ask_owner = arg_ask_owner && !arg_tpm.owner_auth,
		.cache = arg_cache,
		.cache_timeout = arg_cache_timeout,
		.prompt_timeout = arg_prompt_timeout,
		.fallbacks = arg_fallbacks,
		.n_fallbacks = arg_n_fallbacks,
		.frame_ms = frame_ms,
		.max_connections = max_conns,
	};

	n = listen_fds_take();
	if (n < 0) {
		log_error("LISTEN_PID/LISTEN_FDS from systemd: %s", ta_strerror(n));
		return 1;
	}
	if (n > 1) {
		log_error("expected one socket from systemd, got %d", n);
		return 1;
	}
	if (n == 1 && arg_command) {
		log_error("COMMAND '%s' with socket activation: a socket-activated agent runs no command",
			  arg_command[0]);
		return 1;
	}
	if (n == 1) {
		fd = LISTEN_FDS_START;
		if (!fd_is_socket(fd, &listening)) {
			log_error("fd %d from systemd is not a socket", fd);
			return 1;
		}
		if (!listening) /* Accept=yes: one connection, then exit. */
			return handler_run_connection(&cfg, fd, fd);
		r = listen_loop(fd, NULL, &cfg); /* Accept=no */
		return r < 0 ? 1 : 0;
	}
	if (!arg_socket && !arg_command && fd_is_socket(STDIN_FILENO, &listening)) {
		if (!listening) /* inetd: the connection is stdin/stdout */
			return handler_run_connection(&cfg, STDIN_FILENO,
						      STDOUT_FILENO);
		r = listen_loop(STDIN_FILENO, NULL, &cfg);
		return r < 0 ? 1 : 0;
	}

	/* Standalone: ask for the owner password once, before forking (the
	 * configuration is complete before the first connection). */
	if (cfg.ask_owner) {
		r = ask_passphrase("Enter the TPM owner password: ", 0, NULL, &owner_pw);
		/* The forked handlers must not inherit our turn on the tty. */
		ask_release_terminal();
		if (r < 0) {
			log_error_r(r, "owner password");
			return 1;
		}
		cfg.tpm.owner_auth = owner_pw;
		cfg.ask_owner = false;
	}
	if (arg_command && !arg_socket && !(getenv("SSH_TPM_AUTH_SOCK") && *getenv("SSH_TPM_AUTH_SOCK"))) {
		if (command_socket_path(&path, &command_dir) < 0)
			return 1;
	} else {
		if (socket_path(&path, &private_dir) < 0)
			return 1;
		if (private_dir && make_private_socket_dir(private_dir) < 0) {
			log_error("cannot use %s for the agent's socket (see above); give one with -l",
				  private_dir);
			return 1;
		}
	}
	r = listen_create(path, command_dir != NULL, &fd, &lp);
	if (r < 0) {
		if (command_dir)
			(void)rmdir(command_dir);
		return 1;
	}
	lp.dir = TAKE_PTR(command_dir);
	if (arg_command)
		return run_command(fd, &lp, &cfg);
	/* Started by hand (not by -l's user, not by a systemd service):
	 * ssh-agent's way, for eval $(ssh-tpm-agent). */
	if (!arg_socket && !getenv("INVOCATION_ID")) {
		pid_t pid = arg_foreground ? getpid() : fork();

		if (pid < 0) {
			log_error("fork: %s", strerror(errno));
			listen_path_remove(&lp);
			return 1;
		}
		if (pid > 0 || arg_foreground) {
			print_env_lines(lp.path, arg_foreground ? getpid() : pid);
			if (!arg_foreground) {
				/* The child owns the socket now. */
				free(lp.path);
				close(fd);
				return 0;
			}
		} else {
			setsid();
			if (stdio_to_null(STDIO_ALL) < 0)
				_exit(1);
			/* No stderr: the journal, else syslog. */
			log_to_background();
		}
	}
	r = listen_loop(fd, &lp, &cfg);
	close(fd);
	if (r < 0) {
		log_error_r(r, "listener");
		return 1;
	}
	return 0;
}
