#ifndef CSERIALSUPPORT_H
#define CSERIALSUPPORT_H
#include <stddef.h>

/// Opens a pseudo-terminal master (O_RDWR|O_NOCTTY), grants and unlocks it and writes the slave's path into
/// `name`. Returns the master descriptor or -1 with errno set.
int espflash_open_pty(char *name, size_t length);

/// Sets any input/output rate, standard or not, through termios2 and BOTHER (Linux). Returns 0 or -1 with errno.
int espflash_set_baud(int fd, int baud);

/// Asserts (1) or releases (0) DTR and RTS; -1 leaves a line as it is. Returns 0 or -1 with errno.
int espflash_set_modem_lines(int fd, int dtr, int rts);

/// Sets both lines in one ioctl (TIOCMSET), as esptool's "unix tight" reset does.
int espflash_set_modem_lines_together(int fd, int dtr, int rts);

#endif
