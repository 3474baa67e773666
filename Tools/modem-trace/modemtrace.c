// modemtrace: an LD_PRELOAD shim that records every DTR/RTS change a program makes on a serial port, so that tests
// can run the trace through a model of the board's auto-reset circuit. Build: cc -shared -fPIC -O2 -o modemtrace.so
// modemtrace.c -ldl. Run: LD_PRELOAD=./modemtrace.so MODEMTRACE_LOG=trace.txt MODEMTRACE_PORT=/dev/pts/7 program ...
//
// For the port named by MODEMTRACE_PORT (after resolving symlinks; any /dev/pts/* or /dev/tty* when unset) it
// keeps the modem lines itself, as a USB-UART bridge would: opening raises DTR and RTS (what Linux does on open),
// TIOCMGET/TIOCMSET/TIOCMBIS/TIOCMBIC read and change them and succeed (a pseudo-terminal has no modem lines and
// would refuse), closing drops both when HUPCL is set (the default). Baud rates set through tcsetattr or TCSETS2
// are recorded, as is every write. Each line of MODEMTRACE_LOG is "<seconds> <event> ...":
//   open PATH dtr rts | lines OP dtr rts | baud N | write N | close dtr rts
// with seconds from CLOCK_MONOTONIC and dtr/rts 1 for asserted.
#define _GNU_SOURCE
#include <asm/termbits.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define MAX_FDS 4096
static int tracked[MAX_FDS];     // 1 when the fd is the traced port
static int lines[MAX_FDS];       // TIOCM_* bits the port has
static int hupcl[MAX_FDS];       // whether closing drops the lines
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void logf_(const char *format, ...) {
    const char *path = getenv("MODEMTRACE_LOG");
    if (!path) return;
    pthread_mutex_lock(&lock);
    FILE *f = fopen(path, "a");
    if (f) {
        fprintf(f, "%.6f ", now());
        va_list ap;
        va_start(ap, format);
        vfprintf(f, format, ap);
        va_end(ap);
        fputc('\n', f);
        fclose(f);
    }
    pthread_mutex_unlock(&lock);
}

static int is_port(const char *path) {
    if (!path) return 0;
    char resolved[PATH_MAX];
    const char *real = realpath(path, resolved) ? resolved : path;
    const char *want = getenv("MODEMTRACE_PORT");
    if (want) {
        char wanted[PATH_MAX];
        const char *w = realpath(want, wanted) ? wanted : want;
        return strcmp(real, w) == 0;
    }
    return strncmp(real, "/dev/pts/", 9) == 0 || strncmp(real, "/dev/tty", 8) == 0;
}

static void opened(int fd, const char *path) {
    if (fd < 0 || fd >= MAX_FDS || !is_port(path)) return;
    tracked[fd] = 1;
    lines[fd] = TIOCM_DTR | TIOCM_RTS;
    hupcl[fd] = 1;
    logf_("open %s 1 1", path);
}

/* The mode argument open/openat take only with O_CREAT or O_TMPFILE, as `mode`. */
#define OPTIONAL_MODE(flags)                                                   \
    mode_t mode = 0;                                                           \
    if ((flags) & (O_CREAT | O_TMPFILE)) {                                     \
        va_list ap;                                                            \
        va_start(ap, flags);                                                   \
        mode = va_arg(ap, mode_t);                                             \
        va_end(ap);                                                            \
    }

#define OPEN_WRAPPER(name)                                                     \
    int name(const char *path, int flags, ...) {                               \
        static int (*real)(const char *, int, ...);                            \
        if (!real) real = dlsym(RTLD_NEXT, #name);                             \
        OPTIONAL_MODE(flags);                                                  \
        int fd = real(path, flags, mode);                                      \
        opened(fd, path);                                                      \
        return fd;                                                             \
    }
OPEN_WRAPPER(open)
OPEN_WRAPPER(open64)

#define OPENAT_WRAPPER(name)                                                   \
    int name(int dirfd, const char *path, int flags, ...) {                    \
        static int (*real)(int, const char *, int, ...);                       \
        if (!real) real = dlsym(RTLD_NEXT, #name);                             \
        OPTIONAL_MODE(flags);                                                  \
        int fd = real(dirfd, path, flags, mode);                               \
        opened(fd, path);                                                      \
        return fd;                                                             \
    }
OPENAT_WRAPPER(openat)
OPENAT_WRAPPER(openat64)

static void log_lines(const char *op, int fd) {
    logf_("lines %s %d %d", op, (lines[fd] & TIOCM_DTR) ? 1 : 0, (lines[fd] & TIOCM_RTS) ? 1 : 0);
}

int ioctl(int fd, unsigned long request, ...) {
    static int (*real)(int, unsigned long, ...);
    if (!real) real = dlsym(RTLD_NEXT, "ioctl");
    va_list ap;
    va_start(ap, request);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    if (fd >= 0 && fd < MAX_FDS && tracked[fd]) {
        int *bits = (int *)arg;
        switch (request) {
        case TIOCMGET: *bits = lines[fd]; return 0;
        case TIOCMSET: lines[fd] = *bits; log_lines("TIOCMSET", fd); return 0;
        case TIOCMBIS: lines[fd] |= *bits; log_lines("TIOCMBIS", fd); return 0;
        case TIOCMBIC: lines[fd] &= ~*bits; log_lines("TIOCMBIC", fd); return 0;
        case TCSETS2: case TCSETSW2: case TCSETSF2: {
            struct termios2 *t = (struct termios2 *)arg;
            hupcl[fd] = (t->c_cflag & HUPCL) != 0;
            logf_("baud %u", t->c_ospeed);
            break;
        }
        default: break;
        }
    }
    return real(fd, request, arg);
}

// glibc's tcsetattr uses its own struct termios; only the speed bits and HUPCL are read here.
int tcsetattr(int fd, int actions, const void *termios_p) {
    static int (*real)(int, int, const void *);
    if (!real) real = dlsym(RTLD_NEXT, "tcsetattr");
    if (fd >= 0 && fd < MAX_FDS && tracked[fd]) {
        static unsigned (*getospeed)(const void *);
        if (!getospeed) getospeed = dlsym(RTLD_DEFAULT, "cfgetospeed");
        unsigned code = getospeed ? getospeed(termios_p) : 0;
        // struct termios begins with c_iflag, c_oflag, c_cflag (unsigned int each).
        unsigned cflag = ((const unsigned *)termios_p)[2];
        hupcl[fd] = (cflag & HUPCL) != 0;
        logf_("baudcode %u", code);
    }
    return real(fd, actions, termios_p);
}

ssize_t write(int fd, const void *buf, size_t count) {
    static ssize_t (*real)(int, const void *, size_t);
    if (!real) real = dlsym(RTLD_NEXT, "write");
    if (fd >= 0 && fd < MAX_FDS && tracked[fd]) logf_("write %zu", count);
    return real(fd, buf, count);
}

int close(int fd) {
    static int (*real)(int);
    if (!real) real = dlsym(RTLD_NEXT, "close");
    if (fd >= 0 && fd < MAX_FDS && tracked[fd]) {
        if (hupcl[fd]) lines[fd] = 0;
        logf_("close %d %d", (lines[fd] & TIOCM_DTR) ? 1 : 0, (lines[fd] & TIOCM_RTS) ? 1 : 0);
        tracked[fd] = 0;
    }
    return real(fd);
}
