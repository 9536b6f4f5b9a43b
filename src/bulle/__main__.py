from bulle.cli.main import main

main()
