//! sdk/isola.rs - the guest side of the isola process API for Rust programs
//! built with `rustc --target wasm32-wasi` (Rust 1.63 or later). The same
//! imports as sdk/isola.h, with thin wrappers that return `Result` and take
//! slices; docs/guest-api.md is the reference for what each call does.
//! Receives here always close the handles that do not fit
//! (ISOLA_RECV_CLOSE_EXTRA), so no sender can wedge a mailbox.
//!
//! Use it as a module of your crate (`#[path = "isola.rs"] mod isola;`, or
//! copy it). An entry a process can be spawned at is an exported function
//! of no parameters: `#[no_mangle] pub extern "C" fn worker() { ... }`.
//! A program that uses std and is run by `isola run` is a WASI process:
//! see docs/wasi.md, "Processes", for its start message and its children.

#![allow(dead_code)]

/// A status code (negative): docs/guest-api.md, "Status codes".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Status(pub i32);

pub const EBADHANDLE: Status = Status(-1);
pub const EACCES: Status = Status(-2);
pub const ETYPE: Status = Status(-3);
pub const EREVOKED: Status = Status(-4);
pub const ENOMEM: Status = Status(-5);
pub const ELIMIT: Status = Status(-6);
pub const EFULL: Status = Status(-7);
pub const EPEER: Status = Status(-8);
pub const ECLOSED: Status = Status(-9);
pub const EAGAIN: Status = Status(-10);
pub const EINVAL: Status = Status(-11);
pub const ETOOBIG: Status = Status(-12);
pub const EBUSY: Status = Status(-13);
pub const ELOOP: Status = Status(-15);
pub const ESTART: Status = Status(-16);

impl Status {
    pub fn name(self) -> &'static str {
        const NAMES: [&str; 16] = [
            "EBADHANDLE", "EACCES", "ETYPE", "EREVOKED", "ENOMEM", "ELIMIT", "EFULL", "EPEER", "ECLOSED",
            "EAGAIN", "EINVAL", "ETOOBIG", "EBUSY", "EDEADLOCK", "ELOOP", "ESTART",
        ];
        let i = (-self.0) as usize;
        if (1..=NAMES.len()).contains(&i) { NAMES[i - 1] } else { "unknown status" }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "{} ({})", self.name(), self.0)
    }
}

pub type Result<T> = std::result::Result<T, Status>;

fn status(r: i32) -> Result<i32> {
    if r >= 0 { Ok(r) } else { Err(Status(r)) }
}

/// A handle: a small integer naming an object in this process's table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(transparent)]
pub struct Handle(pub i32);

/// receive() on the caller's own mailbox.
pub const MAILBOX: Handle = Handle(0);

pub const RIGHT_SEND: u32 = 1 << 0;
pub const RIGHT_RECEIVE: u32 = 1 << 1;
pub const RIGHT_SPAWN: u32 = 1 << 2;
pub const RIGHT_KILL: u32 = 1 << 3;
pub const RIGHT_MONITOR: u32 = 1 << 4;
pub const RIGHT_DUPLICATE: u32 = 1 << 5;
pub const RIGHT_TRANSFER: u32 = 1 << 6;
pub const RIGHT_REVOKE: u32 = 1 << 7;

pub const TAG_START: u64 = 0xFFFF_FFFF_FFFF_FF01;
pub const TAG_DOWN: u64 = 0xFFFF_FFFF_FFFF_FF02;
pub const TAG_EXIT: u64 = 0xFFFF_FFFF_FFFF_FF03;

/// How a process ended (`Down::kind`).
pub const EXIT_NORMAL: i32 = 0;
pub const EXIT_EXIT: i32 = 1;
pub const EXIT_TRAP: i32 = 2;
pub const EXIT_KILLED: i32 = 3;
pub const EXIT_LIMIT: i32 = 4;
pub const EXIT_FAILED: i32 = 5;

/// Trap kinds: the reason of an EXIT_TRAP end.
pub const TRAP_UNREACHABLE: i32 = 1;
pub const TRAP_MEMORY_OUT_OF_BOUNDS: i32 = 2;

/// Timeouts in nanoseconds; FOREVER waits without limit, 0 polls.
pub const FOREVER: i64 = -1;

const SEND_WAIT: u32 = 1;
const RECV_TAG: u32 = 1;
const RECV_CLOSE_EXTRA: u32 = 2;

/// A spawn's limits (40 bytes). A zero field takes the default, except
/// live_children: 0 means the child may not spawn.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct Limits {
    pub fuel_per_slice: u64,
    pub fuel_total: u64,
    pub queue_bytes: u64,
    pub memory_pages: u32,
    pub queue_count: u32,
    pub handle_count: u32,
    pub live_children: u32,
}

/// What the receive import fills in (`receive` returns it as `Received`).
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct MsgInfo {
    tag: u64,
    size: u32,
    handle_count: u32,
}

/// What receive() took: the tag, the full size (the copy stops at the
/// buffer's end) and how many handles it wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Received {
    pub tag: u64,
    pub size: usize,
    pub handles: usize,
}

/// The payload of a TAG_DOWN (monitor) or TAG_EXIT (link) message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Down {
    pub reference: u64,
    pub kind: i32,
    pub reason: i32,
}

// The guest API's layouts (docs/guest-api.md).
const _: () = assert!(std::mem::size_of::<Limits>() == 40);
const _: () = assert!(std::mem::size_of::<MsgInfo>() == 16);
const _: () = assert!(std::mem::size_of::<Down>() == 16);

impl Down {
    pub fn from_bytes(b: &[u8]) -> Option<Down> {
        if b.len() < 16 {
            return None;
        }
        let u = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        Some(Down { reference: u(0) as u64 | (u(4) as u64) << 32, kind: u(8) as i32, reason: u(12) as i32 })
    }
}

mod raw {
    use super::{Limits, MsgInfo};
    #[link(wasm_import_module = "isola")]
    extern "C" {
        pub fn spawn(module: i32, entry: *const u8, entry_len: u32, arg: *const u8, arg_len: u32,
                     handles: *const i32, handle_count: u32, limits: *const Limits) -> i32;
        #[link_name = "self"]
        pub fn self_() -> i32;
        pub fn channel_create(out: *mut i32) -> i32;
        pub fn send(handle: i32, tag: u64, bytes: *const u8, len: u32, handles: *const i32, handle_count: u32,
                    flags: u32) -> i32;
        pub fn receive(handle: i32, tag: u64, flags: u32, buf: *mut u8, max: u32, handles: *mut i32,
                       handles_max: u32, info: *mut MsgInfo, timeout_ns: i64) -> i32;
        pub fn close(handle: i32) -> i32;
        pub fn duplicate(handle: i32, rights: u32) -> i32;
        pub fn exit(reason: i32) -> !;
        pub fn kill(process: i32, reason: i32) -> i32;
        pub fn monitor(process: i32) -> i64;
        pub fn link(process: i32) -> i32;
        pub fn trap_exits(on: i32) -> i32;
        pub fn sleep(ns: i64) -> i32;
        #[link_name = "yield"]
        pub fn yield_() -> i32;
        pub fn now() -> i64;
        pub fn detach(child: i32) -> i32;
        pub fn dir_handle(fd: i32, rights_base: u64, rights_inheriting: u64, name: *const u8, name_len: u32) -> i32;
        pub fn revoker_create() -> i32;
        pub fn derive(handle: i32, revoker: i32, rights: u32) -> i32;
        pub fn revoke(revoker: i32) -> i32;
    }
}

/// Spawns export `entry` of `module` (needs SPAWN) with `arg` and `handles`
/// (moved to the child: each needs TRANSFER) as its start message. For a
/// WASI child the argument bytes are its argv: NUL-terminated strings.
pub fn spawn(module: Handle, entry: &str, arg: &[u8], handles: &[Handle], limits: Option<&Limits>) -> Result<Handle> {
    let lim = limits.map_or(std::ptr::null(), |l| l as *const Limits);
    let r = unsafe {
        raw::spawn(module.0, entry.as_ptr(), entry.len() as u32, arg.as_ptr(), arg.len() as u32,
                   handles.as_ptr() as *const i32, handles.len() as u32, lim)
    };
    status(r).map(Handle)
}

/// A new handle to the caller itself (to hand out so others can reply).
pub fn self_handle() -> Result<Handle> {
    status(unsafe { raw::self_() }).map(Handle)
}

/// A new channel: two endpoint handles, each able to send to the other.
pub fn channel() -> Result<(Handle, Handle)> {
    let mut out = [0i32; 2];
    status(unsafe { raw::channel_create(out.as_mut_ptr()) })?;
    Ok((Handle(out[0]), Handle(out[1])))
}

/// Sends `bytes` and `handles` (moved) with `tag`; `wait`: while the queue is full.
pub fn send(to: Handle, tag: u64, bytes: &[u8], handles: &[Handle], wait: bool) -> Result<()> {
    let r = unsafe {
        raw::send(to.0, tag, bytes.as_ptr(), bytes.len() as u32, handles.as_ptr() as *const i32,
                  handles.len() as u32, if wait { SEND_WAIT } else { 0 })
    };
    status(r).map(|_| ())
}

/// Receives from `from` (MAILBOX or an endpoint with RECEIVE): the first
/// message, or the first with `tag`. Handles that do not fit `handles` are
/// closed (a sender cannot wedge the queue). `timeout_ns`: FOREVER, 0, or ns.
pub fn receive(from: Handle, tag: Option<u64>, buf: &mut [u8], handles: &mut [Handle], timeout_ns: i64)
    -> Result<Received> {
    let mut info = MsgInfo::default();
    let flags = RECV_CLOSE_EXTRA | if tag.is_some() { RECV_TAG } else { 0 };
    let r = unsafe {
        raw::receive(from.0, tag.unwrap_or(0), flags, buf.as_mut_ptr(), buf.len() as u32,
                     handles.as_mut_ptr() as *mut i32, handles.len() as u32, &mut info, timeout_ns)
    };
    status(r).map(|size| Received { tag: info.tag, size: size as usize, handles: info.handle_count as usize })
}

/// Takes this process's start message (its spawner's argument bytes and
/// handles; the first process of `isola run` finds its module handle there).
/// Like every receive here, handles past `handles.len()` are closed:
/// `Received::handles` says how many arrived.
pub fn receive_start(buf: &mut [u8], handles: &mut [Handle]) -> Result<Received> {
    receive(MAILBOX, Some(TAG_START), buf, handles, 0)
}

pub fn close(h: Handle) -> Result<()> {
    status(unsafe { raw::close(h.0) }).map(|_| ())
}

/// A copy of `h` with `rights` (a subset; needs DUPLICATE).
pub fn duplicate(h: Handle, rights: u32) -> Result<Handle> {
    status(unsafe { raw::duplicate(h.0, rights) }).map(Handle)
}

/// Ends the caller now with `reason`.
pub fn exit(reason: i32) -> ! {
    unsafe { raw::exit(reason) }
}

pub fn kill(process: Handle, reason: i32) -> Result<()> {
    status(unsafe { raw::kill(process.0, reason) }).map(|_| ())
}

/// Asks for a TAG_DOWN message when `process` ends; returns its reference.
pub fn monitor(process: Handle) -> Result<u64> {
    let r = unsafe { raw::monitor(process.0) };
    if r >= 0 { Ok(r as u64) } else { Err(Status(r as i32)) }
}

pub fn link(process: Handle) -> Result<()> {
    status(unsafe { raw::link(process.0) }).map(|_| ())
}

pub fn trap_exits(on: bool) -> Result<()> {
    status(unsafe { raw::trap_exits(on as i32) }).map(|_| ())
}

pub fn sleep(ns: i64) -> Result<()> {
    status(unsafe { raw::sleep(ns) }).map(|_| ())
}

pub fn yield_now() {
    unsafe { raw::yield_() };
}

/// Monotonic nanoseconds.
pub fn now() -> i64 {
    unsafe { raw::now() }
}

/// Lets `child` outlive the caller.
pub fn detach(child: Handle) -> Result<()> {
    status(unsafe { raw::detach(child.0) }).map(|_| ())
}

/// A handle to the caller's WASI directory `fd` with at most the given
/// WASI rights, seen by a child as `name` ("" keeps the preopen's name):
/// pass it in spawn's handles to make it one of the child's preopens.
pub fn dir_handle(fd: i32, rights_base: u64, rights_inheriting: u64, name: &str) -> Result<Handle> {
    let r = unsafe { raw::dir_handle(fd, rights_base, rights_inheriting, name.as_ptr(), name.len() as u32) };
    status(r).map(Handle)
}

/// A new revoker (RIGHT_REVOKE, DUPLICATE, TRANSFER).
pub fn revoker_create() -> Result<Handle> {
    status(unsafe { raw::revoker_create() }).map(Handle)
}

/// A copy of `h` with `rights` that stops working (EREVOKED) once
/// `revoker` is revoked, with every copy made of it.
pub fn derive(h: Handle, revoker: Handle, rights: u32) -> Result<Handle> {
    status(unsafe { raw::derive(h.0, revoker.0, rights) }).map(Handle)
}

pub fn revoke(revoker: Handle) -> Result<()> {
    status(unsafe { raw::revoke(revoker.0) }).map(|_| ())
}
