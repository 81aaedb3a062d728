//! `compare --serve-nginx`: a folder served by nginx, a real server whose keep-alive limits,
//! `sendfile` and timing are not the test site's, started as `compare --serve-site` is: a free
//! port on 127.0.0.1, its URL printed as the first line of stdout, stopped when stdin closes.
//!
//! nginx runs with one worker (`worker_processes 1`, so that it takes one core, as the test site
//! does), no access log, and no limit on the requests of a keep-alive connection
//! (`keepalive_requests`), from a configuration written to a folder of its own, removed at the
//! end.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use clap::Parser;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// The hidden first argument that makes `compare` serve a folder with nginx.
pub const NGINX_FLAG: &str = "--serve-nginx";

/// How long nginx may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// Where nginx is looked for: `PATH`, then Debian's place for it (`/usr/sbin` is on root's
/// `PATH` only).
const NGINX_PLACES: [&str; 2] = ["nginx", "/usr/sbin/nginx"];

/// The flags of `compare --serve-nginx`.
#[derive(Debug, Parser)]
struct NginxArgs {
    /// The folder to serve.
    #[arg(long)]
    dir: PathBuf,
}

/// The nginx binary, if one is installed.
pub fn nginx_binary() -> Option<&'static str> {
    NGINX_PLACES.into_iter().find(|program| {
        Command::new(program)
            .arg("-v")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    })
}

/// Serves `--dir` with nginx on a free port of 127.0.0.1, prints its URL as the first line of
/// stdout, and serves until stdin is closed; then stops nginx and removes its folder.
/// `args` starts with [`NGINX_FLAG`].
pub fn nginx_main(args: &[OsString]) -> ExitCode {
    let args = match NginxArgs::try_parse_from(args) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("{}", shared::cli::usage_error_line(&e));
            return ExitCode::from(shared::cli::EXIT_USAGE);
        }
    };
    match serve(&args.dir) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn serve(dir: &Path) -> Result<(), String> {
    let program = nginx_binary().ok_or("nginx is not installed (apt-get install nginx-light)")?;
    let dir = dir.canonicalize().map_err(|e| format!("{}: {e}", dir.display()))?;
    let prefix = std::env::temp_dir().join(format!("compare-nginx-{}", std::process::id()));
    std::fs::create_dir_all(&prefix).map_err(|e| format!("{}: {e}", prefix.display()))?;
    let result = run(program, &dir, &prefix);
    let _ = std::fs::remove_dir_all(&prefix);
    result
}

fn run(program: &str, dir: &Path, prefix: &Path) -> Result<(), String> {
    // A free port: the kernel's pick, released for nginx to take. (Another process could take
    // it in between; then nginx fails to start, and says so.)
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map_err(|e| format!("cannot find a free port: {e}"))?
        .port();
    let conf = prefix.join("nginx.conf");
    std::fs::write(&conf, config(dir, prefix, port, running_as_root()))
        .map_err(|e| format!("{}: {e}", conf.display()))?;
    let mut nginx = Command::new(program)
        .arg("-p")
        .arg(prefix)
        .arg("-c")
        .arg(&conf)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start {program}: {e}"))?;
    let started = wait_listening(&mut nginx, port);
    if let Err(e) = started {
        let _ = nginx.kill();
        let _ = nginx.wait();
        let log = std::fs::read_to_string(prefix.join("error.log")).unwrap_or_default();
        return Err(format!("{e}; its log: {}", log.trim()));
    }
    let mut stdout = std::io::stdout().lock();
    let printed = writeln!(stdout, "http://127.0.0.1:{port}/").and_then(|()| stdout.flush());
    if printed.is_ok() {
        // Blocks until the harness closes our stdin (or exits): that is the stop signal.
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
    }
    stop(&mut nginx);
    Ok(())
}

/// The configuration: one worker, no access log, keep-alive without a request limit, and every
/// file nginx writes inside `prefix`. A master running as root would hand the workers to a user
/// who may not read `dir` (the toolchain's docs are under root's home), so they stay root.
fn config(dir: &Path, prefix: &Path, port: u16, root: bool) -> String {
    let user = if root { "user root;\n" } else { "" };
    let types = Path::new("/etc/nginx/mime.types");
    let types = if types.is_file() {
        format!("include \"{}\";", types.display())
    } else {
        "types { text/html html; text/css css; application/javascript js; }".into()
    };
    let temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
        .map(|kind| format!("    {kind}_temp_path \"{}/{kind}\";\n", prefix.display()))
        .concat();
    format!(
        "{user}worker_processes 1;\ndaemon off;\nmaster_process on;\npid \"{prefix}/nginx.pid\";\n\
         error_log \"{prefix}/error.log\";\n\
         events {{ worker_connections 16384; }}\n\
         http {{\n    {types}\n    access_log off;\n    sendfile on;\n    \
         keepalive_requests 1000000;\n    keepalive_timeout 75s;\n{temp}    \
         server {{\n        listen 127.0.0.1:{port} backlog=4096;\n        root \"{dir}\";\n    }}\n}}\n",
        prefix = prefix.display(),
        dir = dir.display(),
    )
}

/// Whether this process runs as root (the owner of `/proc/self` is the effective user).
fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|meta| meta.uid() == 0)
}

/// Waits until nginx accepts connections on `port`, or has exited, or the time is up.
fn wait_listening(nginx: &mut Child, port: u16) -> Result<(), String> {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok() {
            return Ok(());
        }
        if let Ok(Some(status)) = nginx.try_wait() {
            return Err(format!("nginx exited at start ({status})"));
        }
        if Instant::now() > deadline {
            return Err(format!("nginx did not listen on port {port} within {START_TIMEOUT:?}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Stops nginx: SIGQUIT (finish the requests in flight, then exit), then SIGKILL if it lingers.
fn stop(nginx: &mut Child) {
    if let Ok(pid) = i32::try_from(nginx.id()) {
        let _ = kill(Pid::from_raw(pid), Signal::SIGQUIT);
    }
    let deadline = Instant::now() + START_TIMEOUT;
    while matches!(nginx.try_wait(), Ok(None)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = nginx.kill();
    let _ = nginx.wait();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The configuration says what the scenario promises: one worker, keep-alive without a
    /// limit, the folder as root, and nothing written outside the prefix.
    #[test]
    fn the_configuration_is_as_promised() {
        let conf = config(Path::new("/d o c"), Path::new("/tmp/p"), 8080, false);
        for line in [
            "worker_processes 1;",
            "keepalive_requests 1000000;",
            "access_log off;",
            "listen 127.0.0.1:8080 backlog=4096;",
            "root \"/d o c\";",
            "pid \"/tmp/p/nginx.pid\";",
            "error_log \"/tmp/p/error.log\";",
            "proxy_temp_path \"/tmp/p/proxy\";",
        ] {
            assert!(conf.contains(line), "{line} missing from\n{conf}");
        }
        assert!(!conf.contains("user root"));
        assert!(config(Path::new("/d"), Path::new("/p"), 1, true).starts_with("user root;\n"));
    }
}
