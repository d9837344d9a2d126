/* XXX: the sweeper lands with the messaging work. */
int main(void) { return 0; }
