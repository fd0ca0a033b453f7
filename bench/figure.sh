# One figure of the benchmark table, as bench/run.sh collects them:
# a line of ten tab-separated fields,
#
#   FIGURE key label value unit peer peer_value ratio goal met
#
# Sourced by the bench scripts.
#
# figure KEY LABEL VALUE UNIT PEER PEER_VALUE GOAL TEST [RATIO]
#   TEST: an awk condition on v (the value), p (the peer's value) and
#   r (the ratio) that says whether GOAL is met, or - when the figure
#   has no goal (met is then -).  RATIO: what the goal compares, when
#   it is not VALUE / PEER_VALUE (- for none).  A value that is not a
#   number (the script could not measure it) never meets a goal.

figure() {
	if [ "$8" = - ]; then
		set -- "$1" "$2" "$3" "$4" "$5" "$6" "$7" 0 "${9:-}" 0
	else
		set -- "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "${9:-}" 1
	fi
	awk -v key="$1" -v label="$2" -v value="$3" -v unit="$4" \
	    -v peer="$5" -v pv="$6" -v goal="$7" -v ratio="$9" -v tested="${10}" '
	function num(x) {
		return (x ~ /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/)
	}
	BEGIN {
		if (ratio == "" && num(value) && num(pv) && pv + 0 != 0)
			ratio = sprintf("%.2f", value / pv)
		else if (ratio == "")
			ratio = "-"
		v = value + 0; p = pv + 0; r = ratio + 0
		met = "-"
		if (tested)
			met = (num(value) && ('"$8"')) ? "yes" : "no"
		if (value == "") value = "-"
		if (pv == "") pv = "-"
		printf "FIGURE\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
		    key, label, value, unit, peer, pv, ratio, goal, met
	}'
}
