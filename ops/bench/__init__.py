"""`make bench`: this assistant measured beside a vanilla `rasa init` assistant, in one run.

Ratios to a reference taken on the same machine in the same run are what the figures mean;
absolute milliseconds change with the machine and whatever else it is doing.
"""
