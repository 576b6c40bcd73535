//! Fast call-stack capture from inside the allocator, for allocation sites.
//!
//! A violation's backtrace is taken once per guard, so the system unwinder
//! (libgcc's, through the `backtrace` crate: about 2 µs for ten frames) is
//! fine there. Allocation sites need a stack for *every* heap operation of a
//! phase, which that unwinder would make 170 times slower than the operation
//! itself. On x86-64 Linux this module unwinds with `framehop` instead: it
//! reads the same DWARF call-frame information (`.eh_frame`, found through
//! each loaded object's `PT_GNU_EH_FRAME` header) but caches the unwind rule
//! of every address it has seen, so a warm stack costs about 13 ns a frame;
//! and a stack it has unwound before is replayed instead (`replay`: the
//! words the unwind read are checked, a load and a compare each).
//!
//! [`prepare`] enumerates the loaded objects and builds the unwinder; it
//! allocates and must run outside the allocator, before the first capture.
//! [`capture`] allocates nothing, takes no lock of its own (the caller
//! serialises captures: the rule cache is shared) and reads the stack only
//! between the current stack pointer and the top of this thread's stack.
//! Objects loaded after `prepare` (with `dlopen`) are not known to it: a stack
//! through one of them stops there.
//!
//! When the build keeps frame pointers (`-C force-frame-pointers=yes`, which
//! `build.rs` turns into `cfg(allocguard_frame_pointers)`), [`capture`]
//! follows the chain of saved frame pointers instead: two loads and a few
//! checks a frame. [`prepare`] first walks a known chain both ways and keeps
//! the tables if the two disagree, so a build whose code does not keep its
//! frame pointers after all is still unwound exactly.
//!
//! Elsewhere (other systems and architectures) [`capture`] falls back to the
//! system unwinder, which is exact but slow; without the `backtrace` feature
//! it captures nothing.

/// Most return addresses kept for one allocation site.
pub(crate) const SITE_FRAMES: usize = 32;

use std::cell::Cell;

thread_local! {
    /// Stacks captured on this thread stop at this address: the frame of the
    /// innermost [`bounded`] call (`usize::MAX`: nowhere).
    static STACK_LIMIT: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// Runs `f`, with the stacks [`capture`] takes on this thread meanwhile
/// ending at this call: the frames beyond it (whoever started the tick or
/// the recording) are the same for every site and cost time to walk.
#[inline(never)]
pub(crate) fn bounded<R>(f: impl FnOnce() -> R) -> R {
    let marker = 0u8;
    // The marker lives in this frame: everything `f` calls is below it.
    let here = std::hint::black_box(&marker) as *const u8 as usize;
    let outer = STACK_LIMIT.with(|l| l.replace(here));
    let r = f();
    STACK_LIMIT.with(|l| l.set(outer));
    r
}

#[cfg(all(feature = "backtrace", target_os = "linux", target_arch = "x86_64"))]
mod fast {
    use std::cell::{Cell, UnsafeCell};
    use std::ops::Deref;
    use std::sync::OnceLock;

    use framehop::x86_64::{CacheX86_64, UnwindRegsX86_64, UnwinderX86_64};

    use crate::sites::replay::{ReadLog, ReplayCache, Start, MAX_FRAMES};

    // A replay holds every frame a site keeps (a deeper stack would be
    // unwound every time).
    const _: () = assert!(MAX_FRAMES >= super::SITE_FRAMES);
    use framehop::{
        ExplicitModuleSectionInfo, FrameAddress, Module, MustNotAllocateDuringUnwind, Unwinder,
    };

    /// A section of a loaded object, read in place.
    #[derive(Clone, Copy, Default)]
    pub(super) struct Mapped(&'static [u8]);

    impl Deref for Mapped {
        type Target = [u8];
        fn deref(&self) -> &[u8] {
            self.0
        }
    }

    type Unw = UnwinderX86_64<Mapped, MustNotAllocateDuringUnwind>;
    type Cache = CacheX86_64<MustNotAllocateDuringUnwind>;

    struct State {
        unwinder: Unw,
        /// Used only by the holder of the site recorder's lock.
        cache: UnsafeCell<Cache>,
        /// Unwinds remembered for replay (see `replay`); used only by the
        /// holder of the site recorder's lock.
        replays: UnsafeCell<ReplayCache>,
        /// The build keeps frame pointers (see `build.rs`), and a walk of
        /// them agreed with the DWARF unwinder's at `prepare`: stacks are
        /// taken by following them.
        frame_pointers: bool,
    }

    // SAFETY: the unwinder is read-only after `prepare`; the cache is only
    // touched by the thread holding the site recorder's lock (see `capture`).
    unsafe impl Sync for State {}
    // SAFETY: as above.
    unsafe impl Send for State {}

    static STATE: OnceLock<State> = OnceLock::new();

    thread_local! {
        /// The top of this thread's stack (0: not looked up yet; 1: unknown).
        static STACK_TOP: Cell<usize> = const { Cell::new(0) };
    }

    pub(super) fn prepare() {
        STATE.get_or_init(|| {
            let mut unwinder = Unw::new();
            for module in loaded_modules() {
                unwinder.add_module(module);
            }
            let state = State {
                unwinder,
                cache: UnsafeCell::new(Cache::new_in()),
                replays: UnsafeCell::new(ReplayCache::new()),
                frame_pointers: false,
            };
            State {
                frame_pointers: cfg!(allocguard_frame_pointers) && probe::agrees(&state),
                ..state
            }
        });
    }

    /// Whether sites walk frame pointers in this process.
    #[cfg(test)]
    pub(super) fn walks_frame_pointers() -> bool {
        STATE.get().is_some_and(|s| s.frame_pointers)
    }

    /// Every loaded object with an `.eh_frame_hdr`, as a framehop module.
    fn loaded_modules() -> Vec<Module<Mapped>> {
        let mut modules: Vec<Module<Mapped>> = Vec::new();
        unsafe extern "C" fn each(
            info: *mut libc::dl_phdr_info,
            _size: usize,
            data: *mut libc::c_void,
        ) -> libc::c_int {
            // SAFETY: `data` is the `Vec` passed below; `info` is valid for
            // the length of the call, and its segments stay mapped while the
            // object is loaded (objects loaded at startup stay for good).
            unsafe {
                let modules = &mut *(data as *mut Vec<Module<Mapped>>);
                if let Some(m) = module_of(&*info) {
                    modules.push(m);
                }
            }
            0
        }
        // SAFETY: `each` matches the callback type and only reads `info`.
        unsafe {
            libc::dl_iterate_phdr(Some(each), &mut modules as *mut _ as *mut libc::c_void);
        }
        modules
    }

    /// # Safety
    /// `info` must describe a loaded object.
    unsafe fn module_of(info: &libc::dl_phdr_info) -> Option<Module<Mapped>> {
        let base = info.dlpi_addr;
        if info.dlpi_phdr.is_null() {
            return None;
        }
        // SAFETY: the loader's program headers for this object.
        let headers =
            unsafe { std::slice::from_raw_parts(info.dlpi_phdr, info.dlpi_phnum as usize) };
        let loads: Vec<(u64, u64)> = headers
            .iter()
            .filter(|h| h.p_type == libc::PT_LOAD)
            .map(|h| (h.p_vaddr, h.p_vaddr + h.p_memsz))
            .collect();
        let text = headers
            .iter()
            .find(|h| h.p_type == libc::PT_LOAD && h.p_flags & libc::PF_X != 0)
            .map(|h| (h.p_vaddr, h.p_vaddr + h.p_memsz))?;
        let hdr = headers
            .iter()
            .find(|h| h.p_type == libc::PT_GNU_EH_FRAME)
            .map(|h| (h.p_vaddr, h.p_vaddr + h.p_memsz))?;
        let bytes = |from: u64, to: u64| {
            // SAFETY: a range inside one of the object's loaded segments.
            Mapped(unsafe {
                std::slice::from_raw_parts((base + from) as *const u8, (to - from) as usize)
            })
        };
        let hdr_bytes = bytes(hdr.0, hdr.1);
        // version 1, eh_frame_ptr encoded pc-relative signed 4 bytes: what
        // every linker writes.
        if hdr_bytes.len() < 8 || hdr_bytes[0] != 1 || hdr_bytes[1] != 0x1b {
            return None;
        }
        let rel = i32::from_le_bytes(hdr_bytes[4..8].try_into().ok()?) as i64;
        let eh_frame = (hdr.0 as i64 + 4 + rel) as u64;
        // `.eh_frame` runs to the end of its segment at most; the header's
        // table says where each entry is.
        let segment_end = loads
            .iter()
            .find(|(s, e)| *s <= eh_frame && eh_frame < *e)
            .map(|(_, e)| *e)?;
        let sections = ExplicitModuleSectionInfo {
            base_svma: 0,
            text_svma: Some(text.0..text.1),
            text: Some(bytes(text.0, text.1)),
            eh_frame_svma: Some(eh_frame..segment_end),
            eh_frame: Some(bytes(eh_frame, segment_end)),
            eh_frame_hdr_svma: Some(hdr.0..hdr.1),
            eh_frame_hdr: Some(hdr_bytes),
            ..Default::default()
        };
        Some(Module::new(
            String::new(),
            (base + text.0)..(base + text.1),
            base,
            sections,
        ))
    }

    /// The top of the calling thread's stack, looked up once per thread.
    #[inline(always)]
    fn stack_top() -> Option<u64> {
        let cached = STACK_TOP.with(Cell::get);
        if cached > 1 {
            return Some(cached as u64);
        }
        first_stack_top(cached)
    }

    /// [`stack_top`] before this thread's top is known (or when it cannot be).
    #[cold]
    #[inline(never)]
    fn first_stack_top(cached: usize) -> Option<u64> {
        if cached == 1 {
            return None;
        }
        let top = query_stack_top();
        STACK_TOP.with(|c| c.set(top.map_or(1, |t| t as usize)));
        top
    }

    fn query_stack_top() -> Option<u64> {
        // SAFETY: plain pthread calls on an attribute object we own; they
        // use the C allocator, never Rust's global allocator.
        unsafe {
            let mut attr: libc::pthread_attr_t = std::mem::zeroed();
            if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
                return None;
            }
            let mut low: *mut libc::c_void = std::ptr::null_mut();
            let mut size: libc::size_t = 0;
            let ok = libc::pthread_attr_getstack(&attr, &mut low, &mut size) == 0;
            libc::pthread_attr_destroy(&mut attr);
            ok.then(|| low as u64 + size as u64)
        }
    }

    /// # Safety
    /// The caller must hold the site recorder's lock (the rule cache is
    /// shared) and [`prepare`] must have run.
    // Inlined, like `record` around it, so that the walk starts in the
    // allocator's own slow-path frame: two unwinding steps fewer per stack.
    #[inline(always)]
    pub(super) unsafe fn capture(out: &mut [usize]) -> usize {
        let Some(state) = STATE.get() else { return 0 };
        let Some(top) = stack_top() else { return 0 };
        // Reads beyond the limit fail, which ends the walk there.
        let top = top.min(super::STACK_LIMIT.with(Cell::get) as u64);
        let (rip, rsp, rbp): (u64, u64, u64);
        // SAFETY: reads three registers, nothing else.
        unsafe {
            std::arch::asm!("lea {}, [rip]", out(reg) rip, options(nomem, nostack));
            std::arch::asm!("mov {}, rsp", out(reg) rsp, options(nomem, nostack));
            std::arch::asm!("mov {}, rbp", out(reg) rbp, options(nomem, nostack));
        }
        if state.frame_pointers {
            // SAFETY: `rsp` and `top` bound this thread's live stack.
            return unsafe { walk_frame_pointers(out, rbp, rsp, top) };
        }
        let start = Start { rip, rsp, rbp, top };
        // SAFETY: the caller holds the lock that serialises captures.
        let (cache, replays) = unsafe { (&mut *state.cache.get(), &mut *state.replays.get()) };
        // SAFETY: `rsp..top` is this thread's live stack.
        if let Some(n) = unsafe { replays.replay(start, out) } {
            return n;
        }
        if replays.rbp_use(rip).is_none() {
            replays.note_rbp_use(rip, first_frame_uses_rbp(state, cache, start));
        }
        let n = unwind_tables(state, cache, start, out, replays.log());
        replays.remember(start, &out[..n]);
        n
    }

    /// Whether the rule of the innermost frame at `start.rip` carries the
    /// register `rbp` into its caller (or uses it): the caller's registers
    /// differ when it starts from another `rbp` (every bit flipped). When they do not, it restores
    /// the caller's `rbp` from the stack, and no unwind from `rip` depends on
    /// the register (see `replay`). The rule is the address's, whatever the
    /// stack: asked once per capture point.
    #[cold]
    #[inline(never)]
    fn first_frame_uses_rbp(state: &State, cache: &mut Cache, start: Start) -> bool {
        let Start { rip, rsp, rbp, top } = start;
        let mut read_stack = |addr: u64| {
            if addr >= rsp && addr + 8 <= top && addr.is_multiple_of(8) {
                // SAFETY: inside this thread's stack, above the live frames.
                Ok(unsafe { *(addr as *const u64) })
            } else {
                Err(())
            }
        };
        let mut step = |bp: u64| {
            let mut regs = UnwindRegsX86_64::new(rip, rsp, bp);
            let address = FrameAddress::from_instruction_pointer(rip);
            let ra = state
                .unwinder
                .unwind_frame(address, &mut regs, cache, &mut read_stack);
            (ra.ok().flatten(), regs.sp(), regs.bp())
        };
        let (with, without) = (step(rbp), step(!rbp));
        with.0.is_none() || with != without
    }

    /// Unwinds from `start` with the tables, writing the return addresses
    /// into `out` and every word read into `log`; returns how many.
    #[inline(never)]
    fn unwind_tables(
        state: &State,
        cache: &mut Cache,
        start: Start,
        out: &mut [usize],
        log: &mut ReadLog,
    ) -> usize {
        let Start { rip, rsp, rbp, top } = start;
        let mut read_stack = |addr: u64| {
            if addr >= rsp && addr + 8 <= top && addr.is_multiple_of(8) {
                // SAFETY: inside this thread's stack, above the live frames.
                let word = unsafe { *(addr as *const u64) };
                log.push(addr, word);
                Ok(word)
            } else {
                Err(())
            }
        };
        let regs = UnwindRegsX86_64::new(rip, rsp, rbp);
        let mut frames = state
            .unwinder
            .iter_frames(rip, regs, cache, &mut read_stack);
        let mut n = 0;
        // The first frame is the allocator's slow path, where this runs.
        let _ = frames.next();
        while n < out.len() {
            match frames.next() {
                Ok(Some(FrameAddress::ReturnAddress(a))) => out[n] = a.get() as usize,
                Ok(Some(FrameAddress::InstructionPointer(a))) => out[n] = a as usize,
                _ => break,
            }
            n += 1;
        }
        n
    }
    /// The return addresses of the frames above the caller's, following the
    /// chain of saved frame pointers from `rbp` (each frame's record: the
    /// caller's frame pointer, then the return address). A record must lie
    /// in the live stack (`rsp` up to `top`), 16-byte aligned, each above
    /// the one before: a chain that breaks any of these (a frame without a
    /// frame pointer) ends the stack there.
    ///
    /// # Safety
    /// `rsp` and `top` must bound the calling thread's live stack.
    #[inline(always)]
    pub(super) unsafe fn walk_frame_pointers(
        out: &mut [usize],
        rbp: u64,
        rsp: u64,
        top: u64,
    ) -> usize {
        // Each record must lie in `rsp..top`, 16-byte aligned, above the one
        // before: the first is checked against `rsp` here, and each later
        // one is above it, so only the top and the alignment are checked a
        // frame (`last` is the highest address a record may start at).
        let Some(last) = top.checked_sub(16) else {
            return 0;
        };
        let mut fp = rbp;
        if fp < rsp {
            return 0;
        }
        let mut n = 0;
        while n < out.len() && fp <= last && fp.is_multiple_of(16) {
            // SAFETY: 16 bytes inside the live stack, checked above.
            let (next, ra) = unsafe { (*(fp as *const u64), *((fp + 8) as *const u64)) };
            if ra == 0 {
                break;
            }
            out[n] = ra as usize;
            n += 1;
            if next <= fp {
                break;
            }
            fp = next;
        }
        n
    }

    /// Checks, once, that walking frame pointers gives what the DWARF
    /// unwinder gives: the same return addresses, through a chain of
    /// functions of this crate and std's (built with frame pointers since
    /// Rust 1.79).
    mod probe {
        use super::*;

        #[inline(never)]
        fn one(state: &State) -> bool {
            std::hint::black_box(two(state))
        }

        #[inline(never)]
        fn two(state: &State) -> bool {
            std::hint::black_box(three(state))
        }

        #[inline(never)]
        fn three(state: &State) -> bool {
            let Some(top) = stack_top() else { return false };
            let (rip, rsp, rbp): (u64, u64, u64);
            // SAFETY: reads three registers, nothing else.
            unsafe {
                std::arch::asm!("lea {}, [rip]", out(reg) rip, options(nomem, nostack));
                std::arch::asm!("mov {}, rsp", out(reg) rsp, options(nomem, nostack));
                std::arch::asm!("mov {}, rbp", out(reg) rbp, options(nomem, nostack));
            }
            let mut by_pointers = [0usize; 8];
            // SAFETY: this thread's stack.
            let n = unsafe { walk_frame_pointers(&mut by_pointers, rbp, rsp, top) };
            let mut by_tables = [0usize; 8];
            let mut read_stack = |addr: u64| {
                if addr >= rsp && addr + 8 <= top && addr.is_multiple_of(8) {
                    // SAFETY: inside this thread's stack, above the live frames.
                    Ok(unsafe { *(addr as *const u64) })
                } else {
                    Err(())
                }
            };
            let mut cache = Cache::new_in();
            let regs = UnwindRegsX86_64::new(rip, rsp, rbp);
            let mut frames = state
                .unwinder
                .iter_frames(rip, regs, &mut cache, &mut read_stack);
            let _ = frames.next();
            let mut m = 0;
            while m < by_tables.len() {
                match frames.next() {
                    Ok(Some(FrameAddress::ReturnAddress(a))) => by_tables[m] = a.get() as usize,
                    _ => break,
                }
                m += 1;
            }
            // Through `two`, `one` and `agrees`, at least.
            n >= 3 && by_pointers[..3] == by_tables[..3]
        }

        pub(super) fn agrees(state: &State) -> bool {
            one(state)
        }
    }
}

/// Builds what [`capture`] needs (the list of loaded objects and their
/// unwind tables). Allocates: call it outside the allocator, before
/// recording sites. Idempotent.
pub(crate) fn prepare() {
    #[cfg(all(feature = "backtrace", target_os = "linux", target_arch = "x86_64"))]
    fast::prepare();
}

/// Whether [`capture`] follows frame pointers in this process: the build
/// keeps them (`-C force-frame-pointers=yes`, see `build.rs`) and, at
/// [`prepare`], a walk of them agreed with the unwind tables. Otherwise
/// stacks are unwound from the DWARF call-frame information.
#[cfg(test)]
pub(crate) fn walks_frame_pointers() -> bool {
    #[cfg(all(feature = "backtrace", target_os = "linux", target_arch = "x86_64"))]
    {
        fast::walks_frame_pointers()
    }
    #[cfg(not(all(feature = "backtrace", target_os = "linux", target_arch = "x86_64")))]
    {
        false
    }
}

/// Writes the caller's return addresses, innermost first, into `out`;
/// returns how many. Allocates nothing.
///
/// # Safety
/// The caller must hold the site recorder's lock: captures share one rule
/// cache.
#[inline(always)]
pub(crate) unsafe fn capture(out: &mut [usize]) -> usize {
    #[cfg(all(feature = "backtrace", target_os = "linux", target_arch = "x86_64"))]
    {
        // SAFETY: the caller's guarantee.
        unsafe { fast::capture(out) }
    }
    #[cfg(all(
        feature = "backtrace",
        not(all(target_os = "linux", target_arch = "x86_64"))
    ))]
    {
        let mut n = 0;
        // SAFETY: see `guard::capture_frames`.
        unsafe {
            backtrace::trace_unsynchronized(|frame| {
                out[n] = frame.ip() as usize;
                n += 1;
                n < out.len()
            });
        }
        n
    }
    #[cfg(not(feature = "backtrace"))]
    {
        let _ = out;
        0
    }
}

#[cfg(all(
    test,
    feature = "backtrace",
    target_os = "linux",
    target_arch = "x86_64"
))]
mod tests {
    use super::*;

    #[test]
    fn frame_pointers_are_walked_exactly_when_the_build_keeps_them() {
        prepare();
        // Under `RUSTFLAGS="-C force-frame-pointers=yes"` the probe must
        // agree with the unwind tables; without it the walk is never used.
        assert_eq!(walks_frame_pointers(), cfg!(allocguard_frame_pointers));
    }
}
