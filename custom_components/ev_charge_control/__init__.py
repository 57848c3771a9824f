"""EV Charge Control: control how an electric car charges, from Home Assistant."""
