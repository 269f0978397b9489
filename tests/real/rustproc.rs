// tests/real/rustproc.rs - processes from Rust through sdk/isola.rs, run
// by `isola run` as a WASI command (rustproc_test.sh checks its output).
//
// main spawns `square` children from its own module, each with one
// capability: a SEND handle to main. Each reads its number from its argv,
// answers with the square, and ends. A `crasher` child panics (a trap in
// wasm32-wasi, whose panics abort); main monitors it and sees it end while
// everything else goes on. A `server` child answers requests on a channel
// main made, over a reply handle each request carries.

#[path = "../../sdk/isola.rs"]
mod isola;

use isola::Handle;

const TAG_SQUARE: u64 = 1;
const TAG_ASK: u64 = 2;
const TAG_ANSWER: u64 = 3;

fn start() -> (Vec<Handle>, Vec<String>) {
    let mut buf = [0u8; 256];
    let mut hs = [Handle(-1); 8];
    let got = isola::receive_start(&mut buf, &mut hs).unwrap_or_else(|e| panic!("no start message: {}", e));
    (hs[..got.handles].to_vec(), std::env::args().collect())
}

#[no_mangle]
pub extern "C" fn square() {
    let (hs, args) = start();
    let n: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(0);
    let reply = (n * n).to_le_bytes();
    isola::send(hs[0], TAG_SQUARE, &reply, &[], true).expect("send");
}

#[no_mangle]
pub extern "C" fn crasher() {
    let v: Vec<u32> = Vec::new();
    let i = std::env::args().count() + 2;
    println!("crasher: about to index {} of an empty vector", i);
    println!("{}", v[i]);
}

/// Answers each question (a u32) with its double on the handle that came
/// with it, until a question of 0.
#[no_mangle]
pub extern "C" fn server() {
    let (hs, _) = start();
    let requests = hs[0];
    let mut served = 0;
    loop {
        let mut q = [0u8; 4];
        let mut reply = [Handle(-1); 1];
        let got = isola::receive(requests, Some(TAG_ASK), &mut q, &mut reply, isola::FOREVER).expect("receive");
        let x = u32::from_le_bytes(q);
        if x == 0 || got.handles != 1 {
            break;
        }
        isola::send(reply[0], TAG_ANSWER, &(2 * x).to_le_bytes(), &[], true).expect("answer");
        isola::close(reply[0]).expect("close");
        served += 1;
    }
    println!("server: answered {} questions", served);
}

fn spawn_with_argv(module: Handle, entry: &str, argv: &[&str], give: &[Handle]) -> isola::Result<Handle> {
    let mut arg = Vec::new();
    for a in argv {
        arg.extend_from_slice(a.as_bytes());
        arg.push(0);
    }
    let limits = isola::Limits { memory_pages: 64, handle_count: 8, queue_count: 8, ..Default::default() };
    isola::spawn(module, entry, &arg, give, Some(&limits))
}

fn main() {
    let (hs, _) = start();
    let module = hs[0];
    let me = isola::self_handle().expect("self");

    let mut children = Vec::new();
    for n in 1..=8u32 {
        let give = isola::duplicate(me, isola::RIGHT_SEND | isola::RIGHT_TRANSFER).expect("duplicate");
        let s = n.to_string();
        children.push(spawn_with_argv(module, "square", &["square", &s], &[give]).expect("spawn square"));
    }
    let mut sum = 0u64;
    for _ in 0..children.len() {
        let mut b = [0u8; 8];
        isola::receive(isola::MAILBOX, Some(TAG_SQUARE), &mut b, &mut [], isola::FOREVER).expect("receive");
        sum += u64::from_le_bytes(b);
    }
    println!("main: {} children, sum of squares {}", children.len(), sum);

    let crasher = spawn_with_argv(module, "crasher", &["crasher"], &[]).expect("spawn crasher");
    let reference = isola::monitor(crasher).expect("monitor");
    let mut b = [0u8; 16];
    isola::receive(isola::MAILBOX, Some(isola::TAG_DOWN), &mut b, &mut [], isola::FOREVER).expect("down");
    let down = isola::Down::from_bytes(&b).expect("down payload");
    println!("main: crasher ended: kind {} (trap) reason {} (unreachable), ref ok {}", down.kind, down.reason,
             down.reference == reference);

    let (ask, serve) = isola::channel().expect("channel");
    let server = spawn_with_argv(module, "server", &["server"], &[serve]).expect("spawn server");
    let (answers_send, answers) = isola::channel().expect("channel");
    let mut total = 0u32;
    let mut tags_ok = true;
    for x in 1..=5u32 {
        let give = isola::duplicate(answers_send, isola::RIGHT_SEND | isola::RIGHT_TRANSFER).expect("duplicate");
        isola::send(ask, TAG_ASK, &x.to_le_bytes(), &[give], true).expect("ask");
        let mut a = [0u8; 4];
        let got = isola::receive(answers, None, &mut a, &mut [], isola::FOREVER).expect("answer");
        tags_ok &= got.tag == TAG_ANSWER && got.size == 4 && got.handles == 0;
        total += u32::from_le_bytes(a);
    }
    let revoker = isola::revoker_create().expect("revoker");
    let gated = isola::derive(ask, revoker, isola::RIGHT_SEND).expect("derive");
    let before = isola::send(gated, 99, &[], &[], false);
    isola::revoke(revoker).expect("revoke");
    let after = isola::send(gated, 99, &[], &[], false);
    let server_ref = isola::monitor(server).expect("monitor");
    isola::send(ask, TAG_ASK, &0u32.to_le_bytes(), &[], true).expect("stop");
    loop {
        let got = isola::receive(isola::MAILBOX, Some(isola::TAG_DOWN), &mut b, &mut [], isola::FOREVER);
        if got.is_ok() && isola::Down::from_bytes(&b).map(|d| d.reference) == Some(server_ref) {
            break;
        }
    }
    println!("main: the server's answers add up to {} (tags and sizes as sent: {})", total, tags_ok);
    println!("main: a derived handle sends {:?}, and once revoked gives {}", before, after.unwrap_err());
    println!("main: a bad handle gives {}", isola::send(Handle(12345), 1, &[], &[], false).unwrap_err());
}
