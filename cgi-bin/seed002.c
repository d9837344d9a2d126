/* XXX: the seed 002 adapter lands later. */
