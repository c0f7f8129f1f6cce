from chipsim.cli import main

main()
