// tests/real/rustcheck.rs - a Rust program run natively and under `isola run`
// (rust_test.sh), which must print the same and exit the same. Rust's std
// and its code generation are not clang's: this checks the engine and WASI
// against a second toolchain's output.
//
// usage: rustcheck DIR [WORDS...]   (stdin: lines of numbers and words)
// Works in DIR (a preopened directory under isola), prints a report on
// stdout, a line on stderr, and exits with status 7.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::fmt::Write as _;
use std::fs;
use std::io::{self, BufRead, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

/// The same pseudo-random numbers on both sides (no host randomness).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325u64, |h, &b| (h ^ b as u64).wrapping_mul(0x100000001b3))
}

/// Integer and float arithmetic, wrapping, shifts, conversions.
fn numbers(out: &mut String) {
    let mut rng = Lcg(42);
    let mut v: Vec<i64> = (0..20000).map(|_| rng.next() as i64 - (1 << 30)).collect();
    v.sort_unstable();
    let median = v[v.len() / 2];
    let sum: i64 = v.iter().sum();
    let xor = v.iter().fold(0u64, |a, &x| a.rotate_left(5) ^ x as u64);
    writeln!(out, "ints: median {} sum {} xor {:016x}", median, sum, xor).unwrap();
    let f: Vec<f64> = v.iter().take(1000).map(|&x| (x as f64).abs().sqrt().ln_1p()).collect();
    let mean = f.iter().sum::<f64>() / f.len() as f64;
    let var = f.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / f.len() as f64;
    writeln!(out, "floats: mean {:.9} var {:.9e} max {:?}", mean, var, f.iter().cloned().fold(f64::MIN, f64::max))
        .unwrap();
    let g: f32 = (1..100).map(|i| 1.0f32 / i as f32).sum();
    writeln!(out, "f32 harmonic {} as i32 {} sat {}", g, g as i32, (1e20f32) as i32).unwrap();
    writeln!(out, "i128 {}", (u64::MAX as i128) * -3 + 7).unwrap();
    writeln!(out, "checked {:?} {:?} wrapping {}", 200u8.checked_add(100), i32::MIN.checked_neg(), i32::MIN.wrapping_abs())
        .unwrap();
}

/// Strings, UTF-8, formatting, maps and sets.
fn text(words: &[String], out: &mut String) {
    let corpus = "the quick brown fox jumps over the lazy dog; ünïcödé ✓ — the end";
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for w in corpus.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        *counts.entry(w).or_insert(0) += 1;
    }
    let ordered: BTreeMap<_, _> = counts.into_iter().collect();
    writeln!(out, "words: {:?}", ordered).unwrap();
    writeln!(out, "upper: {} chars {} bytes {}", corpus.to_uppercase(), corpus.chars().count(), corpus.len())
        .unwrap();
    let set: BTreeSet<String> = words.iter().map(|w| w.chars().rev().collect()).collect();
    writeln!(out, "args reversed: {:?}", set).unwrap();
    writeln!(out, "format: [{:>8.3}] [{:<6}] [{:^7}] [{:#x}] [{:+e}]", 3.14159, "ab", "mid", 255, 1234.5).unwrap();
}

/// A small simulation with a queue and a struct.
#[derive(Debug, Clone, PartialEq)]
struct Job {
    id: u32,
    cost: u32,
}

fn jobs(out: &mut String) {
    let mut rng = Lcg(7);
    let mut queue: VecDeque<Job> = (0..500).map(|id| Job { id, cost: (rng.next() % 97) as u32 + 1 }).collect();
    let mut clock = 0u64;
    let mut done = Vec::new();
    while let Some(mut job) = queue.pop_front() {
        let slice = job.cost.min(10);
        clock += slice as u64;
        job.cost -= slice;
        if job.cost > 0 {
            queue.push_back(job);
        } else {
            done.push((job.id, clock));
        }
    }
    let last = done.last().cloned();
    let order = fnv(&done.iter().flat_map(|(id, _)| id.to_le_bytes()).collect::<Vec<u8>>());
    writeln!(out, "jobs: {} done, clock {}, last {:?}, order {:016x}", done.len(), clock, last, order).unwrap();
}

/// Files in DIR: write, append, seek, read back, list, rename, remove.
fn files(dir: &Path, out: &mut String) -> io::Result<()> {
    let data = dir.join("data.bin");
    {
        let mut w = BufWriter::new(fs::File::create(&data)?);
        let mut rng = Lcg(99);
        for _ in 0..50000 {
            w.write_all(&rng.next().to_le_bytes())?;
        }
    }
    let mut f = fs::OpenOptions::new().read(true).append(true).open(&data)?;
    f.write_all(b"tail")?;
    f.seek(SeekFrom::Start(8 * 1234))?;
    let mut word = [0u8; 8];
    f.read_exact(&mut word)?;
    let all = fs::read(&data)?;
    writeln!(out, "file: {} bytes, word {:016x}, hash {:016x}", all.len(), u64::from_le_bytes(word), fnv(&all))
        .unwrap();
    fs::create_dir_all(dir.join("sub/deeper"))?;
    fs::write(dir.join("sub/deeper/note.txt"), "note\n")?;
    fs::rename(dir.join("sub/deeper/note.txt"), dir.join("sub/note.txt"))?;
    let mut names: Vec<String> =
        fs::read_dir(dir.join("sub"))?.map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned())).collect::<Result<_, _>>()?;
    names.sort();
    let meta = fs::metadata(&data)?;
    writeln!(out, "dir: {:?}, data is_file {} len {}", names, meta.is_file(), meta.len()).unwrap();
    let outside = fs::read("/etc/passwd").map(|_| "read").unwrap_or("refused");
    writeln!(out, "outside the directory: {}", outside).unwrap();
    fs::remove_file(dir.join("sub/note.txt"))?;
    fs::remove_dir_all(dir.join("sub"))?;
    fs::remove_file(&data)?;
    writeln!(out, "left: {}", fs::read_dir(dir)?.count()).unwrap();
    Ok(())
}

/// Sums the numbers on stdin, counts the rest.
fn input(out: &mut String) {
    let (mut total, mut lines, mut other) = (0i64, 0, 0);
    for line in io::stdin().lock().lines() {
        lines += 1;
        for w in line.unwrap().split_whitespace() {
            match w.parse::<i64>() {
                Ok(n) => total += n,
                Err(_) => other += 1,
            }
        }
    }
    writeln!(out, "stdin: {} lines, total {}, {} other", lines, total, other).unwrap();
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = Path::new(args.first().map(|s| s.as_str()).unwrap_or("."));
    let mut out = String::new();
    numbers(&mut out);
    text(&args[1..], &mut out);
    jobs(&mut out);
    if let Err(e) = files(dir, &mut out) {
        writeln!(out, "files failed: {}", e).unwrap();
    }
    input(&mut out);
    writeln!(out, "env RUSTCHECK={:?}", std::env::var("RUSTCHECK").ok()).unwrap();
    print!("{}", out);
    eprintln!("rustcheck: done");
    std::process::exit(7);
}
