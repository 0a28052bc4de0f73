from configurator.cli import main

main()
