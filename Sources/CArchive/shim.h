#ifndef STORAGE_CACHE_CARCHIVE_SHIM_H
#define STORAGE_CACHE_CARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>

#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#include <errno.h>

/// RENAME_NOREPLACE and RENAME_EXCHANGE of renameat2(2), which glibc only declares under _GNU_SOURCE.
#define SC_RENAME_NOREPLACE (1u << 0)
#define SC_RENAME_EXCHANGE (1u << 1)

/// renameat2(2) through syscall(2) (variadic, so not callable from Swift). -1 and errno on failure.
static inline int sc_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
                               unsigned int flags) {
    return (int)syscall(SYS_renameat2, olddirfd, oldpath, newdirfd, newpath, flags);
}

/// sync_file_range(2) with SYNC_FILE_RANGE_WRITE: starts writing back the dirty pages of the range without
/// waiting for them (a later syncfs has less left to do). -1 and errno on failure.
static inline int sc_start_writeback(int fd, long long offset, long long count) {
    return (int)syscall(SYS_sync_file_range, fd, offset, count, 2u /* SYNC_FILE_RANGE_WRITE */);
}

/// syncfs(2): flushes the file system holding `fd`. -1 and errno on failure.
static inline int sc_syncfs(int fd) { return (int)syscall(SYS_syncfs, fd); }
#endif

#endif
