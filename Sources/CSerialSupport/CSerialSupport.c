// Small wrappers around the POSIX/Linux calls Swift cannot reach directly (variadic ioctl, feature-macro-gated
// pty functions, termios2).
#define _GNU_SOURCE
#include "CSerialSupport.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#if defined(__linux__)
#include <asm/termbits.h>
#else
#include <termios.h>
#endif

int espflash_open_pty(char *name, size_t length) {
    int fd = posix_openpt(O_RDWR | O_NOCTTY);
    if (fd < 0) return -1;
    if (grantpt(fd) != 0 || unlockpt(fd) != 0 || ptsname_r(fd, name, length) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int espflash_set_baud(int fd, int baud) {
#if defined(__linux__)
    struct termios2 tio;
    if (ioctl(fd, TCGETS2, &tio) != 0) return -1;
    tio.c_cflag &= ~CBAUD;
    tio.c_cflag |= BOTHER;
    tio.c_ispeed = (speed_t)baud;
    tio.c_ospeed = (speed_t)baud;
    return ioctl(fd, TCSETS2, &tio);
#else
    struct termios tio;
    if (tcgetattr(fd, &tio) != 0) return -1;
    cfsetispeed(&tio, baud);
    cfsetospeed(&tio, baud);
    return tcsetattr(fd, TCSANOW, &tio);
#endif
}

int espflash_set_modem_lines(int fd, int dtr, int rts) {
    int set = 0, clear = 0;
    if (dtr == 1) set |= TIOCM_DTR; else if (dtr == 0) clear |= TIOCM_DTR;
    if (rts == 1) set |= TIOCM_RTS; else if (rts == 0) clear |= TIOCM_RTS;
    if (set && ioctl(fd, TIOCMBIS, &set) != 0) return -1;
    if (clear && ioctl(fd, TIOCMBIC, &clear) != 0) return -1;
    return 0;
}

int espflash_set_modem_lines_together(int fd, int dtr, int rts) {
    int status;
    if (ioctl(fd, TIOCMGET, &status) != 0) return -1;
    if (dtr) status |= TIOCM_DTR; else status &= ~TIOCM_DTR;
    if (rts) status |= TIOCM_RTS; else status &= ~TIOCM_RTS;
    return ioctl(fd, TIOCMSET, &status);
}
