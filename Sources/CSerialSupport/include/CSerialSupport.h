#ifndef CSERIALSUPPORT_H
#define CSERIALSUPPORT_H
#include <stddef.h>

/// Opens a pseudo-terminal master (O_RDWR|O_NOCTTY), grants and unlocks it and writes the slave's path into
/// `name`. Returns the master descriptor or -1 with errno set.
int espflash_open_pty(char *name, size_t length);

/// Sets any input/output rate, standard or not, through termios2 and BOTHER (Linux). Returns 0 or -1 with errno.
int espflash_set_baud(int fd, int baud);

/// Asserts (1) or releases (0) DTR and RTS with TIOCMBIS/TIOCMBIC; -1 leaves a line as it is. Two ioctls when both
/// change (the lines pass through a third state between them): use espflash_set_modem_lines_together for that.
/// Returns 0 or -1 with errno.
int espflash_set_modem_lines(int fd, int dtr, int rts);

/// Sets both lines in one ioctl (TIOCMGET, then one TIOCMSET), as esptool's "unix tight" reset does.
int espflash_set_modem_lines_together(int fd, int dtr, int rts);

/// The output rate in bits per second (termios2 c_ospeed on Linux, any rate); -1 with errno on failure.
int espflash_get_baud(int fd);

#endif
