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

/// The termios code for a standard rate, or 0 when the rate needs BOTHER.
static speed_t standard_speed(int baud) {
    switch (baud) {
    case 9600: return B9600;
    case 19200: return B19200;
    case 38400: return B38400;
    case 57600: return B57600;
    case 115200: return B115200;
    case 230400: return B230400;
    case 460800: return B460800;
    case 500000: return B500000;
    case 576000: return B576000;
    case 921600: return B921600;
    case 1000000: return B1000000;
    case 1152000: return B1152000;
    case 1500000: return B1500000;
    case 2000000: return B2000000;
    case 2500000: return B2500000;
    case 3000000: return B3000000;
    default: return 0;
    }
}

int espflash_set_baud(int fd, int baud) {
#if defined(__linux__)
    struct termios2 tio;
    if (ioctl(fd, TCGETS2, &tio) != 0) return -1;
    // Standard rates keep their Bxxx code (some drivers know no BOTHER); any other rate goes through BOTHER.
    speed_t code = standard_speed(baud);
    tio.c_cflag &= ~(CBAUD | (CBAUD << IBSHIFT));
    tio.c_cflag |= code ? code : BOTHER;
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

int espflash_get_baud(int fd) {
#if defined(__linux__)
    struct termios2 tio;
    if (ioctl(fd, TCGETS2, &tio) != 0) return -1;
    return (int)tio.c_ospeed;
#else
    struct termios tio;
    if (tcgetattr(fd, &tio) != 0) return -1;
    return (int)cfgetospeed(&tio);
#endif
}
