/* XXX: the seed 003 adapter lands later. */
