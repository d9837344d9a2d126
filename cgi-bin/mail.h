/*
 * mail.h: a mail handed to the host's sendmail command.
 */
#ifndef MAIL_H
#define MAIL_H

#include <stddef.h>

int	mail_send(const char *, const char *, size_t);

#endif /* MAIL_H */
