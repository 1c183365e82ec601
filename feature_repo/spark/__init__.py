"""Scale-out on Spark: the session, the Spark build of the heavy feature table, checked materialization."""
