from konsent.cli import main

main()
