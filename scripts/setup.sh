#!/usr/bin/env bash
# Kerberos Bench setup for Debian and Ubuntu: system packages, Node check, npm dependencies, build.
#
#   ./scripts/setup.sh            install what is missing (apt needs root or passwordless sudo)
#   KBENCH_SKIP_APT=1 ./scripts/setup.sh   never call apt; only report what is missing
#
# Safe to run again: each step is skipped when already done. Runs unattended (CI=true, no stdin).
set -euo pipefail
cd "$(dirname "$0")/.."

say()  { printf '\033[1m==> %s\033[0m\n' "$*"; }
warn() { printf '\033[33mwarning:\033[0m %s\n' "$*" >&2; }
die()  { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

export DEBIAN_FRONTEND=noninteractive
# The Electron runtime is a separate, optional download (step 4); never let it break npm ci.
ELECTRON_WANTED=${ELECTRON_SKIP_BINARY_DOWNLOAD:-}
export ELECTRON_SKIP_BINARY_DOWNLOAD=1

# ---- 1. System packages ------------------------------------------------------------------
# MIT Kerberos KDC, admin tools and client tools; headers to build the `kerberos` binding;
# Cyrus SASL with its GSSAPI plugin and sample peers; Chromium for web-mode tests; tshark for
# captures; Apache with mod_auth_gssapi as a real SPNEGO server for tests; Xvfb for a virtual
# display; build tools for node-gyp; a JDK for the Java engine (JAAS + Java GSS, its worker is
# compiled with javac at first use; step 6 checks it compiles); gss-ntlmssp, a real NTLM mechanism for GSSAPI (NTLM in Negotiate);
# libtypesafe-config-java, the reference HOCON parser (com.typesafe.config) that proves EMQX exports.
PACKAGES=(krb5-kdc krb5-admin-server krb5-user libkrb5-dev libsasl2-modules-gssapi-mit sasl2-bin
          tshark apache2 libapache2-mod-auth-gssapi xvfb python3 make g++ ca-certificates
          openjdk-17-jdk-headless gss-ntlmssp libtypesafe-config-java)

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO=(sudo -n); else SUDO=(none); fi
fi
APT_UPDATED=
apt_install() {
  if [ -z "$APT_UPDATED" ]; then "${SUDO[@]}" apt-get update -q; APT_UPDATED=1; fi
  "${SUDO[@]}" apt-get install -y -q --no-install-recommends "$@"
}
can_apt() { command -v apt-get >/dev/null && [ "${KBENCH_SKIP_APT:-}" != 1 ] && [ "${SUDO[0]:-}" != none ]; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }

# Debian calls the browser "chromium"; Ubuntu only has a snap stub called chromium-browser.
if command -v chromium >/dev/null || command -v chromium-browser >/dev/null || command -v google-chrome >/dev/null; then :;
elif command -v apt-cache >/dev/null && apt-cache show chromium >/dev/null 2>&1; then PACKAGES+=(chromium)
else PACKAGES+=(chromium); fi

missing=()
if command -v dpkg-query >/dev/null; then
  for p in "${PACKAGES[@]}"; do installed "$p" || missing+=("$p"); done
else
  warn "not a Debian/Ubuntu system: install MIT krb5 (KDC, admin, user, dev), Cyrus SASL GSSAPI, tshark and Chromium yourself"
fi

if [ ${#missing[@]} -gt 0 ]; then
  if can_apt; then
    say "Installing system packages: ${missing[*]}"
    apt_install "${missing[@]}" || die "apt-get could not install: ${missing[*]}"
  else
    warn "missing system packages: ${missing[*]}"
    warn "install them with: sudo apt-get install -y ${missing[*]}"
    warn "(this script installs them itself when run as root or with passwordless sudo)"
    installed libkrb5-dev || die "libkrb5-dev is required to build the kerberos binding; install it and run this script again"
  fi
else
  say "System packages present"
fi

# ---- 1b. The AD lab (optional: kbench lab up --kind ad) -----------------------------------
# A Samba AD domain controller the lab provisions into its own directory (nothing under /etc is
# used): samba and its directory modules and provisioning data, winbind (the DC's idmap), ldb-tools
# (ldbsearch/ldbmodify on the DC's database), smbclient for tests, libfaketime + faketime for
# clock offsets. No conflict with MIT krb5: Samba runs its own KDC. The DC must run as root (LDAP
# on 127.0.0.1:389), so these are installed only when this script can act as root.
AD_PACKAGES=(samba samba-dsdb-modules samba-ad-provision samba-vfs-modules winbind ldb-tools smbclient libfaketime faketime)
# What installing samba may start on a normal Debian (Docker images have a policy-rc.d that
# refuses every start, so nothing starts there). The lab never uses these system services; one
# of them holding port 389 would keep the lab's DC from starting.
AD_SERVICES=(samba-ad-dc smbd nmbd winbind)
ad_missing=()
if command -v dpkg-query >/dev/null; then
  for p in "${AD_PACKAGES[@]}"; do installed "$p" || ad_missing+=("$p"); done
fi
if [ ${#ad_missing[@]} -eq 0 ]; then
  command -v dpkg-query >/dev/null && say "AD lab packages present"
elif can_apt; then
  # Which of the services run now: after the install, only those that were not running before
  # and are running now are stopped and disabled — a Samba this machine already ran stays as it was.
  was_active=()
  have_systemd=
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    have_systemd=1
    for s in "${AD_SERVICES[@]}"; do systemctl is-active --quiet "$s" 2>/dev/null && was_active+=("$s"); done
  fi
  say "Installing the AD lab's packages: ${ad_missing[*]}"
  if apt_install "${ad_missing[@]}"; then
    if [ -n "$have_systemd" ]; then
      for s in "${AD_SERVICES[@]}"; do
        case " ${was_active[*]} " in *" $s "*) continue ;; esac
        if systemctl is-active --quiet "$s" 2>/dev/null; then
          say "Stopping and disabling $s (the package started it; the AD lab runs its own DC)"
          "${SUDO[@]}" systemctl disable --now "$s" 2>/dev/null || true
        fi
      done
    fi
  else
    warn "apt-get could not install the AD lab's packages (${ad_missing[*]}): the MIT lab works without them"
  fi
else
  warn "missing packages for the AD lab (kbench lab up --kind ad): ${ad_missing[*]}"
  warn "install them as root with: sudo apt-get install -y --no-install-recommends ${ad_missing[*]}"
  warn "(the AD lab's DC runs as root; the MIT lab realm works without these)"
fi

# ---- 2. Node.js 20.19 or newer -----------------------------------------------------------
node_ok() { command -v node >/dev/null && node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>20||(a===20&&b>=19)?0:1)'; }
if ! node_ok; then
  have=$(node --version 2>/dev/null || echo none)
  if can_apt; then
    candidate=$(apt-cache policy nodejs 2>/dev/null | awk '/Candidate:/{print $2}')
    if [ -n "$candidate" ] && dpkg --compare-versions "${candidate%%[-~+]*}" ge 20.19; then
      say "Installing Node.js $candidate from the distribution"
      apt_install nodejs npm
    else
      say "Installing Node.js 22 from NodeSource (distribution has ${candidate:-no} nodejs)"
      apt_install curl ca-certificates gnupg
      curl -fsSL https://deb.nodesource.com/setup_22.x | "${SUDO[@]}" bash - || die "NodeSource setup failed: install Node.js 20.19+ yourself (https://nodejs.org)"
      apt_install nodejs
    fi
  fi
  node_ok || die "Kerberos Bench needs Node.js 20.19 or newer (found: $have). Install it from https://nodejs.org or NodeSource and run this script again."
fi
say "Node $(node --version), npm $(npm --version)"

# node-gyp builds the binding against Node's headers; use the system's when they match this
# Node (no download needed), otherwise node-gyp fetches them.
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node_version.h ]; then
  hdr=$(awk '/define NODE_(MAJOR|MINOR|PATCH)_VERSION/{printf "%s.", $3}' /usr/include/node/node_version.h)
  [ "v${hdr%.}" = "$(node --version)" ] && export npm_config_nodedir=/usr
fi

# ---- 3. npm dependencies (builds the kerberos binding) -----------------------------------
stamp=node_modules/.package-lock.json
if [ -f "$stamp" ] && [ "$stamp" -nt package-lock.json ] && [ -f node_modules/kerberos/build/Release/kerberos.node ]; then
  say "npm dependencies up to date"
else
  say "Installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi

# ---- 4. Electron runtime (optional: without it the bench runs in web mode) ---------------
if [ -z "$ELECTRON_WANTED" ] && [ "${CI:-}" != true ] && [ ! -f node_modules/electron/path.txt ]; then
  say "Downloading the Electron runtime"
  if ! (unset ELECTRON_SKIP_BINARY_DOWNLOAD; node node_modules/electron/install.js); then
    warn "could not download Electron (offline?): npm start will open web mode in your browser instead"
  fi
fi

# ---- 5. Build ----------------------------------------------------------------------------
say "Building"
npm run build --silent

# ---- 6. Java engine (optional: without a JDK, profiles run on MIT only) --------------------
if command -v javac >/dev/null || [ -x "${JAVA_HOME:-/nonexistent}/bin/javac" ]; then
  say "Compiling the Java GSS worker"
  # A check that the sources compile with this JDK; the bench compiles its own cached copy
  # (out/java/<hash>/) at the first Java worker start (~1–4 s).
  JAVAC=$(if [ -x "${JAVA_HOME:-/nonexistent}/bin/javac" ]; then echo "$JAVA_HOME/bin/javac"; else command -v javac; fi)
  tmp=$(mktemp -d out/java-setup.XXXXXX)
  if find resources/java -name '*.java' -print0 | xargs -0 "$JAVAC" -encoding UTF-8 -nowarn -d "$tmp"; then
    say "Java worker compiles with $("$JAVAC" -version 2>&1)"
  else
    warn "javac could not compile resources/java: the Java engine will report why at first use"
  fi
  JAR=${KBENCH_TYPESAFE_CONFIG_JAR:-/usr/share/java/typesafe-config.jar}
  if [ ! -r "$JAR" ]; then
    warn "no $JAR: EMQX exports and imports need the reference HOCON parser (sudo apt-get install -y libtypesafe-config-java)"
  elif find resources/java-hocon -name '*.java' -print0 | xargs -0 "$JAVAC" -encoding UTF-8 -nowarn -cp "$JAR" -d "$tmp"; then
    say "HOCON checker compiles against $JAR"
  else
    warn "javac could not compile resources/java-hocon: EMQX exports will report why at first use"
  fi
  rm -rf "$tmp"
else
  warn "no javac: the Java engine needs a JDK (sudo apt-get install -y openjdk-17-jdk-headless)"
fi
say "Ready. Start: npm start   Tests: npm test   Check this machine: npx kbench doctor"
