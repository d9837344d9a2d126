/* XXX: stranger matching lands with the conversations work. */
