//! Misbehaving and idle peers for `bench/hardening.sh`, on 127.0.0.1:PORT.
//!
//! - `bench_peers slowloris PORT N INTERVAL_S`: opens N connections, each sending a request
//!   line, then one header byte every INTERVAL_S seconds; prints, when every connection was
//!   closed by the server (or after 120 s), `closed=K of N, first after X s, last after Y s`.
//! - `bench_peers idle PORT N HOLD_S`: opens N keep-alive connections, sends `GET /hello` on
//!   each and reads its answer, prints `READY n`, holds them for HOLD_S seconds, then exits.
use std::time::{Duration, Instant};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

async fn slowloris(port: u16, n: usize, interval: Duration) -> Result<(), String> {
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(n);
    for _ in 0..n {
        let mut s = TcpStream::connect(("127.0.0.1", port))
            .await
            .map_err(|e| format!("connect: {e}"))?;
        tasks.push(tokio::spawn(async move {
            if s.write_all(b"GET /hello HTTP/1.1\r\n").await.is_err() {
                return Some(started.elapsed());
            }
            let mut buf = [0u8; 256];
            loop {
                tokio::select! {
                    read = s.read(&mut buf) => match read {
                        Ok(0) | Err(_) => return Some(started.elapsed()),
                        Ok(_) => {}
                    },
                    _ = tokio::time::sleep(interval) => {
                        if s.write_all(b"X").await.is_err() {
                            return Some(started.elapsed());
                        }
                    }
                }
                if started.elapsed() > Duration::from_secs(120) {
                    return None;
                }
            }
        }));
    }
    let mut closed = Vec::new();
    for task in tasks {
        if let Ok(Some(at)) = task.await {
            closed.push(at);
        }
    }
    closed.sort();
    let (first, last) = match (closed.first(), closed.last()) {
        (Some(f), Some(l)) => (f.as_secs_f64(), l.as_secs_f64()),
        _ => (0.0, 0.0),
    };
    println!(
        "closed={} of {n}, first after {first:.1} s, last after {last:.1} s",
        closed.len()
    );
    Ok(())
}

async fn idle(port: u16, n: usize, hold: Duration) -> Result<(), String> {
    let mut conns = Vec::with_capacity(n);
    for i in 0..n {
        let mut s = TcpStream::connect(("127.0.0.1", port))
            .await
            .map_err(|e| format!("connect {i}: {e}"))?;
        s.write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .map_err(|e| format!("write {i}: {e}"))?;
        let mut buf = [0u8; 512];
        let read = s
            .read(&mut buf)
            .await
            .map_err(|e| format!("read {i}: {e}"))?;
        if !buf[..read].starts_with(b"HTTP/1.1 200") {
            return Err(format!("connection {i}: no 200"));
        }
        conns.push(s);
    }
    println!("READY {}", conns.len());
    tokio::time::sleep(hold).await;
    drop(conns);
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize| args.get(i).and_then(|a| a.parse::<u64>().ok());
    let res = match (args.first().map(String::as_str), num(1), num(2)) {
        (Some("slowloris"), Some(port), Some(n)) => {
            let interval = Duration::from_secs(num(3).unwrap_or(5));
            slowloris(port as u16, n as usize, interval).await
        }
        (Some("idle"), Some(port), Some(n)) => {
            let hold = Duration::from_secs(num(3).unwrap_or(10));
            idle(port as u16, n as usize, hold).await
        }
        _ => Err(
            "usage: bench_peers slowloris PORT N [INTERVAL_S] | idle PORT N [HOLD_S]".to_owned(),
        ),
    };
    match res {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
