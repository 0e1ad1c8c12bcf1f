//! Real Redis servers for tests (feature `test-util`): the one `.ci/run` starts, named by
//! `AUTH_REDIS_URL`, or a private `redis-server` on 127.0.0.1 that a test may stop and start
//! again. Where neither exists the helpers say so and return `None`, and the test skips; under
//! CI (`AUTH_REDIS_URL` set) a private server that cannot start is a failure, not a skip.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The variable naming a running server (set by `.ci/run`).
pub const REDIS_URL_VAR: &str = "AUTH_REDIS_URL";

/// The variable naming the `redis-server` program (default: `redis-server` on `PATH`).
pub const REDIS_SERVER_VAR: &str = "AUTH_REDIS_SERVER";

/// A Redis server for one test.
#[derive(Debug)]
pub struct RedisServer {
    url: String,
    port: u16,
    child: Option<Child>,
    private: bool,
}

impl RedisServer {
    /// The CI server if `AUTH_REDIS_URL` is set, else a private one; `None` (after saying why
    /// on stderr) when there is neither.
    ///
    /// # Panics
    ///
    /// Never; see [`RedisServer::private`].
    pub fn shared_or_private(test: &str) -> Option<Self> {
        match std::env::var(REDIS_URL_VAR) {
            Ok(url) => Some(Self {
                port: port_of(&url),
                url,
                child: None,
                private: false,
            }),
            Err(_) => Self::private(test),
        }
    }

    /// A private `redis-server` on a free port of 127.0.0.1 with persistence off; `None`
    /// (after saying why on stderr) when the program is missing.
    ///
    /// # Panics
    ///
    /// When `AUTH_REDIS_URL` is set (CI) and the program cannot start: CI must run every Redis
    /// test.
    pub fn private(test: &str) -> Option<Self> {
        let port = free_port();
        let mut server = Self {
            url: format!("redis://127.0.0.1:{port}/0"),
            port,
            child: None,
            private: true,
        };
        match server.start() {
            Ok(()) => Some(server),
            Err(why) if std::env::var_os(REDIS_URL_VAR).is_some() => {
                panic!("{test}: a private redis-server must start under CI: {why}")
            }
            Err(why) => {
                eprintln!(
                    "SKIPPED {test}: {why}; install redis-server (Debian package \
                     `redis-server`) or set {REDIS_URL_VAR} (.ci/run does both)"
                );
                None
            }
        }
    }

    /// The server's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether this server belongs to the test (and may be stopped).
    pub fn is_private(&self) -> bool {
        self.private
    }

    /// Stops a private server (as a crash would: SIGKILL) and waits until it is gone.
    ///
    /// # Panics
    ///
    /// On the shared server.
    pub fn stop(&mut self) {
        assert!(self.private, "only a private server may be stopped");
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts a stopped private server again on the same port, empty.
    ///
    /// # Panics
    ///
    /// When it does not start.
    pub fn restart(&mut self) {
        self.stop();
        if let Err(why) = self.start() {
            panic!("redis-server did not start again: {why}")
        }
    }

    fn start(&mut self) -> Result<(), String> {
        let program = std::env::var(REDIS_SERVER_VAR).unwrap_or_else(|_| "redis-server".to_owned());
        let child = Command::new(&program)
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args([
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|error| format!("cannot run {program}: {error}"))?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if ping(self.port) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.stop();
        Err(format!(
            "{program} did not answer PING on port {} within 10 s",
            self.port
        ))
    }

    /// Sends one command (RESP array of bulk strings) and returns the raw reply, for tests
    /// that look at the keyspace themselves (KEYS, DUMP of values, HSET of garbage).
    ///
    /// # Panics
    ///
    /// When the server does not answer.
    pub fn command(&self, args: &[&[u8]]) -> Vec<u8> {
        let mut request = format!("*{}\r\n", args.len()).into_bytes();
        for arg in args {
            request.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
            request.extend_from_slice(arg);
            request.extend_from_slice(b"\r\n");
        }
        request.extend_from_slice(b"*1\r\n$4\r\nQUIT\r\n");
        let exchange = || -> std::io::Result<Vec<u8>> {
            let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port))?;
            stream.set_read_timeout(Some(Duration::from_secs(5)))?;
            stream.write_all(&request)?;
            let mut reply = Vec::new();
            stream.read_to_end(&mut reply)?;
            Ok(reply)
        };
        match exchange() {
            Ok(reply) => reply,
            Err(error) => panic!("redis-server on port {} did not answer: {error}", self.port),
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .unwrap_or(0)
}

fn port_of(url: &str) -> u16 {
    url.rsplit_once(':')
        .and_then(|(_, rest)| rest.split('/').next())
        .and_then(|port| port.parse().ok())
        .unwrap_or(6379)
}

fn ping(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect((Ipv4Addr::LOCALHOST, port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut reply = [0u8; 7];
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut reply).is_ok()
        && &reply == b"+PONG\r\n"
}
